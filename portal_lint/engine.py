"""discover → parse → check → diagnostics: the library entry point the CLI is a thin layer over."""

from __future__ import annotations

import gc
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portal_lint import config as config_mod
from portal_lint import live, registry, suppress
from portal_lint.diagnostic import Diagnostic, Finding, Related, Result, Span
from portal_lint.discover import Discovery, Target
from portal_lint.ingest import Settings
from portal_lint.model import InputError, Repo, SourceFile, posix_rel, read_text
from portal_lint.parse.yaml12 import SyntaxProblem, YamlDoc
from portal_lint.policy import BUILTIN, Policy, cite, enforcement, policy_for
from portal_lint.registry import Rule, RuleContext
from portal_lint.selection import select_rules
from portal_lint.state import RepoState, Run

if TYPE_CHECKING:
    from portal_lint.catalog import CatalogError
    from portal_lint.catalog.index import EntityIndex

Subject = tuple[str, Any, SourceFile]  # (what rules it is for, the subject, the file it is in)
Loader = Callable[[Target, "Run"], Iterable[Subject]]


def load_catalog_subjects(target: Target, run: Run) -> Iterable[Subject]:
    try:
        cf = target.repo.load_catalog(target.path)
    except InputError as exc:
        # Unreadable input is a finding on the file (YML006), never a traceback.
        doc = YamlDoc(0, 0, limit=SyntaxProblem(f"{target.path.name} {exc}", Span(0, 0, 0, 0)))
        yield "yaml-doc", doc, SourceFile(target.path, target.repo, "")
        return
    for doc in cf.docs:
        yield "yaml-doc", doc, cf.source
    for entity in cf.entities:
        yield "entity", entity, cf.source
    for entity in cf.entities:
        if entity.kind == "Template":
            from portal_lint.skeleton import rendered_subjects  # Jinja2: only for Templates

            yield from rendered_subjects(entity)


def load_skill_subjects(target: Target, run: Run) -> Iterable[Subject]:
    from portal_lint.skills import load_skill_subjects  # Markdown machinery: only when a SKILL.md is linted

    return load_skill_subjects(target)


def load_agents_subjects(target: Target, run: Run) -> Iterable[Subject]:
    from portal_lint.agents import load_agents_subjects

    heading = str(run.config.get("standards-heading") or "")
    return load_agents_subjects(target, heading, run.state_of(target.repo.root).markdown)


LOADERS: dict[str, Loader] = {
    "catalog": load_catalog_subjects,
    "skill": load_skill_subjects,
    "agents": load_agents_subjects,
}
# The subjects each kind of target yields: a run binds (and imports) only the rules for the
# subjects its targets have. A kind missing here gets every rule.
KIND_SUBJECTS: dict[str, tuple[str, ...]] = {
    "catalog": ("yaml-doc", "entity"),
    "skill": ("skill",),
    "agents": ("agents",),
    "repo-file": (),
}


def bind(
    cfg: config_mod.Config, codes: Iterable[str], run: Run, subjects: Iterable[str] | None = None
) -> None:
    """Bind the rules of `codes` to the run (only those for `subjects`, when given)."""
    if subjects is not None:
        metas, wanted = registry.load_metadata(), set(subjects)
        codes = [c for c in codes if metas[c].subject in wanted]
    codes = list(codes)
    rules = registry.rules_for(codes)
    overrides = {c: lvl for t, lvl in cfg.get("severity").items() for c in registry.lookup(t)}
    for code in codes:
        rule = rules[code]
        meta = rule.meta
        if code in overrides:
            meta = _with_severity(meta, overrides[code])
            rule = Rule(meta, rule.check)
        ctx = RuleContext(meta, cfg.rule_options(meta), run)
        run.by_subject.setdefault(meta.subject, []).append((rule, ctx))


def _with_severity(meta: registry.RuleMeta, level: str) -> registry.RuleMeta:
    return meta._replace(severity=level)  # type: ignore[arg-type]


Bound = dict[str, list[tuple[Rule, RuleContext]]]  # subject → the rules that run on it


class _Collector:
    """Runs the rules bound for the current repository, stamps their findings into diagnostics
    and applies inline suppressions."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.out: list[Diagnostic] = []
        self.bound: Bound = run.by_subject
        self._builtin: tuple[Policy, Bound] | None = None  # the built-in policy's binding, made once
        # Rules whose severity config sets: kept as set, built-in standard or not.
        self._severity_set = {c for t in run.config.get("severity") for c in registry.lookup(t)}
        metas = registry.load_metadata()
        self.resolve = {k: (m.code, m.name) for m in metas.values() for k in (m.code, m.name)}
        self.listed: Counter[tuple[str, Path]] = Counter()  # findings listed per (rule, file)
        # per (rule, file) past the cap: the first finding not listed (where to say so)
        self.unlisted: dict[tuple[str, Path], tuple[Rule, RuleContext, Finding, Repo, Path]] = {}

    def sup_for(self, path: Path, text: str | None, repo: Repo) -> suppress.Suppressions:
        per_repo = self.run.state_of(repo.root).suppressions
        got = per_repo.get(path)
        if got is None:
            if text is None:
                try:
                    text = read_text(path)
                except InputError:
                    text = ""
            got = per_repo[path] = suppress.parse(text, self.resolve)
        return got

    def enter(self, repo: Repo) -> None:
        """Bind the run's rules for one repository: a gated rule only where its policy (or
        config) asks for it, with the policy's parameters and the standard it cites."""
        self.run.repo = RepoState(repo.root)
        policy = policy_for(self.run, repo)
        if self._builtin is not None and self._builtin[0] is policy:
            self.bound = self._builtin[1]
            return
        bound: Bound = {}
        for on, rules in self.run.by_subject.items():
            bound[on] = [b for rule, ctx in rules for b in self._bind(rule, ctx, policy)]
        self.bound = bound
        if not policy.sections:  # the built-in policy: one object, shared by most repositories
            self._builtin = (policy, bound)

    def _bind(self, rule: Rule, ctx: RuleContext, policy: Policy) -> list[tuple[Rule, RuleContext]]:
        """The rule once, or for a gated rule once per standard asking for it (none: not at all).
        Until a repository declares its standards, the built-in ones are warnings: Backstage
        accepts what they report."""
        if not rule.meta.gated:
            return [(rule, ctx)]
        out = []
        for standard, options in enforcement(policy, self.run.config, rule.meta, self.run.select):
            bound = rule
            builtin = standard is not None and standard.source.label == BUILTIN
            if builtin and rule.meta.severity == "error" and rule.meta.code not in self._severity_set:
                bound = Rule(_with_severity(rule.meta, "warning"), rule.check)
            out.append((bound, RuleContext(bound.meta, {**ctx.options, **options}, self.run, standard)))
        return out

    def add(self, rule: Rule, ctx: RuleContext, finding: Finding, sf: SourceFile | None, repo: Repo) -> bool:
        """Stamp a finding (unless suppressed); False once the rule is past its cap for that
        file, when the caller stops asking the rule for more."""
        meta = rule.meta
        finding, standard = cite(finding, ctx.standard, repo.root, self.run.cwd)
        own = None if sf is None else sf.text if sf.origin is None else sf.origin.text
        if finding.path is not None:
            abs_path = repo.root / finding.path
            text = own if sf is not None and sf.path == abs_path else None
        else:
            assert sf is not None
            abs_path, text = sf.path, own
        line = finding.span.line + 1
        if self.sup_for(abs_path, text, repo).covers(meta.code, meta.name, line):
            return True
        key = (meta.code, abs_path)
        if self.listed[key] >= MAX_FINDINGS_PER_FILE:
            # A pathological file (a 5 MB unclosed code fence, 200,000 bad commands) would
            # otherwise cost minutes and gigabytes of findings no one reads.
            self.unlisted.setdefault(key, (rule, ctx, finding, repo, abs_path))
            return False
        self.listed[key] += 1
        self._stamp(meta, finding, standard, repo, abs_path)
        return True

    def flush_unlisted(self) -> None:
        """One closing finding per rule and file whose findings were cut, where the cut is."""
        for rule, ctx, first, repo, abs_path in self.unlisted.values():
            more = first._replace(
                message=f"… and more {rule.meta.code} findings in this file, not listed: portal-lint "
                f"lists the first {MAX_FINDINGS_PER_FILE:,} of a rule per file; fix the cause of the ones "
                "above first",
                fix=None,
                related=(),
            )
            finding, standard = cite(more, ctx.standard, repo.root, self.run.cwd)
            self._stamp(rule.meta, finding, standard, repo, abs_path)
        self.listed.clear()
        self.unlisted.clear()

    def _stamp(
        self, meta: registry.RuleMeta, finding: Finding, standard: str | None, repo: Repo, abs_path: Path
    ) -> None:
        span = finding.span
        line = span.line + 1
        end_line, end_col = span.end_line + 1, span.end_col + 1
        if (end_line, end_col) <= (line, span.col + 1):
            end_line, end_col = line, span.col + 2  # never an empty region: editors hide those
        self.out.append(
            Diagnostic(
                code=meta.code,
                name=meta.name,
                severity=meta.severity,
                message=finding.message,
                path=posix_rel(abs_path, self.run.cwd),
                line=line,
                column=span.col + 1,
                end_line=end_line,
                end_column=end_col,
                pointer=finding.pointer,
                fix=finding.fix,
                related=finding.related,
                standard=standard,
                repo_path=posix_rel(abs_path, repo.root),
            )
        )

    def run_rules(self, on: str, subject: Any, sf: SourceFile | None, repo: Repo) -> None:
        origin = None if sf is None else sf.origin
        for rule, ctx in self.bound.get(on, ()):
            if origin is not None and not origin.wants(rule.meta.family, rule.meta.code):
                continue
            try:
                for finding in rule.check(subject, ctx):
                    if origin is not None:
                        finding = origin.translate(finding, rule.meta.code)
                        if finding is None:
                            continue
                    if not self.add(rule, ctx, finding, sf, repo):
                        break  # past the cap: asking for more would only cost time
            except Exception as exc:
                if self.run.strict:
                    raise
                where = sf.rel if sf is not None else str(repo.root)
                self.run.internal_errors.append(
                    f"internal error in {rule.meta.code} on {where}: {type(exc).__name__}: {exc}"
                )


# A process pool pays off past this many targets (starting it and merging cost time); below it, or
# with one CPU, a run stays in one process.
POOL_THRESHOLD = 200
# Findings of one rule listed per file; the rest are counted in one closing finding.
MAX_FINDINGS_PER_FILE = 200
_CHUNK = 25  # repositories per unit of work handed out to a process


def find_config(
    paths: Sequence[str], cwd: Path, root: Path | None, config_path: Path | None
) -> config_mod.Config:
    """The config in force for a run over `paths`: `config_path`, else the one at the repository
    root of the first path (or of `root`)."""
    from portal_lint.discover import git_root

    first = (cwd / paths[0]) if paths else cwd
    base = ((root or first) if first.is_dir() else first.parent).absolute()
    return config_mod.load(git_root(base) or base, config_path)


class Linter:
    """Lints with one config and one catalog: the CLI (and so the pre-commit hooks) and the
    servers' workspace lint through one. It holds the config in force, makes the catalog index
    once and closes it once, and gives every result the notices of setting them up."""

    def __init__(
        self,
        cfg: config_mod.Config,
        catalog: live.CatalogSettings,
        *,
        cwd: Path,
        root: Path | None = None,
        offline: bool = False,
        load: live.SnapshotLoader | None = None,
    ) -> None:
        """`offline` (the servers): the snapshot alone, never the network, and a snapshot that
        cannot be read is a notice; else settings that cannot work raise `live.LiveError`.
        `load` reads the snapshot (the servers keep it parsed between runs)."""
        self.cfg, self.catalog, self.cwd, self.root = cfg, catalog, cwd, root
        self.notices: list[str] = []
        if offline:
            self.index: EntityIndex | None = live.offline_index(catalog, self.notices, load=load)
        else:
            self.index = live.build_index(catalog, self.notices, load=load)

    @classmethod
    def for_paths(
        cls,
        paths: Sequence[str],
        *,
        cwd: Path,
        root: Path | None = None,
        config_path: Path | None = None,
        url: str | None = None,
        snapshot: Path | None = None,
        location: str | None = None,
        ca: Path | None = None,
        require: bool = False,
    ) -> Linter:
        """The linter for a command line: the config at the repository root of `paths` (or
        `config_path`), the catalog from the flags, then the environment, then that config."""
        cfg = find_config(paths, cwd, root, config_path)
        catalog = live.settings(
            cfg,
            base=live.config_base(cfg, cwd).absolute(),
            url=url,
            snapshot=snapshot,
            location=location,
            ca=ca,
            require=require,
        )
        return cls(cfg, catalog, cwd=cwd, root=root)

    def lint(self, paths: Sequence[str], *, select: Sequence[str] = (), ignore: Sequence[str] = ()) -> Result:
        result = lint(
            paths, cwd=self.cwd, cfg=self.cfg, root=self.root, select=select, ignore=ignore, index=self.index
        )
        result.notices[:0] = [n for n in self.notices if n not in result.notices]
        return result

    def close(self) -> CatalogError | None:
        """Close the catalog, and say why the live catalog failed during the runs, if it did."""
        failure = live.catalog_failure(self.index, self.catalog.require)
        live.close(self.index)
        return failure


def ingest_settings(cfg: config_mod.Config) -> Settings:
    """The config's say in which files are catalog files (portal_lint.ingest)."""
    return Settings(
        names=tuple(cfg.get("catalog-names")),
        catalog_files=tuple(cfg.get("catalog-files")),
        exclude=tuple(cfg.get("exclude")),
        location_types=tuple(cfg.get("location-types")),
        location=cfg.get("location"),
    )


def lint(
    paths: Sequence[str] = (),
    *,
    cwd: Path | None = None,
    cfg: config_mod.Config | None = None,
    config_path: Path | None = None,
    root: Path | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    index: Any = None,
    strict: bool = False,
    jobs: int | None = None,
) -> Result:
    """Lint `paths` (default: the current repository) and return every finding, sorted.

    `jobs`: processes to use (default: PORTAL_LINT_JOBS or the CPUs available, once there are
    more than POOL_THRESHOLD targets). A run given a catalog `index` stays in one process: a live
    index holds a network client and caches that belong to this process."""
    cwd = (cwd or Path.cwd()).absolute()
    if cfg is None:
        cfg = find_config(paths, cwd, root, config_path)
    run = Run(cwd, cfg, {}, index=index, strict=strict, select=tuple(select))
    if index is None:  # the snapshot the config names, if any; never the network
        offline = live.settings(cfg, base=live.config_base(cfg, cwd), env={})
        if offline.snapshot is not None:
            run.index = live.offline_index(offline, run.notices)
    with _quiet_gc():
        files, parts = _lint_run(
            run,
            cfg,
            Discovery(cwd, root, ingest_settings(cfg)),
            paths,
            select,
            ignore,
            jobs,
        )
    diags: set[Diagnostic] = set()
    for found, notices, errors in parts:
        diags.update(found)
        for text in notices:
            run.notice(text)
        run.internal_errors.extend(errors)
    diags = _one_per_cause(diags)
    if paths:
        diags = _in_scope(diags, paths, cwd)
    out = sorted(diags, key=lambda d: d.sort_key)
    return Result(out, files, run.notices, run.internal_errors, cfg.get("fail-on"), cwd)


def _one_per_cause(diags: set[Diagnostic]) -> set[Diagnostic]:
    """Without the findings whose rule yields to another rule's finding on the same node (REF005
    on an owner that STD002 already reports as no group): one root cause, one finding."""
    metas = registry.load_metadata()
    yielding = [d for d in diags if d.code in metas and metas[d.code].yields_to]
    if not yielding:
        return diags
    at = {(d.path, d.line, d.column, d.code) for d in diags}
    return diags - {
        d for d in yielding if any((d.path, d.line, d.column, c) in at for c in metas[d.code].yields_to)
    }


def _in_scope(diags: Iterable[Diagnostic], paths: Sequence[str], cwd: Path) -> set[Diagnostic]:
    """The findings on the files (or in the folders) the run was given: a pre-commit run over one
    file reports on that file only, although cross-file rules read the whole repository. A
    cross-file finding elsewhere whose related location is a given file (a duplicate's first
    definition) is reported there."""
    named = {os.path.normpath(cwd / p) for p in paths}
    folders = tuple(os.path.join(p, "") for p in named if os.path.isdir(p))

    def inside(path: str) -> bool:
        return path in named or path.startswith(folders)

    out = set()
    for d in diags:
        where = os.path.normpath(cwd / d.path)
        if inside(where):
            out.add(d)
            continue
        root = where[: len(where) - len(d.repo_path)] if d.repo_path and where.endswith(d.repo_path) else None
        for r in d.related if root is not None else ():
            other = os.path.normpath(os.path.join(root or "", r.path))
            if inside(other):
                moved = Related(d.repo_path, d.line, d.column, "the other place this finding concerns")
                out.add(
                    d._replace(
                        path=posix_rel(other, cwd),
                        repo_path=r.path,
                        line=r.line,
                        column=r.col,
                        end_line=r.line,
                        end_column=r.col + 1,
                        related=(moved,),
                        fix=None,
                    )
                )
                break
    return out


def _lint_run(
    run: Run,
    cfg: config_mod.Config,
    discovery: Discovery,
    paths: Sequence[str],
    select: Sequence[str],
    ignore: Sequence[str],
    jobs: int | None,
) -> tuple[int, list[ChunkResult]]:
    """(files linted, each unit's results in unit order)."""
    targets = discovery.targets(list(paths))
    kinds = {t.kind for t in targets}
    subjects = None
    if kinds <= KIND_SUBJECTS.keys():
        subjects = {"repo", "suppressions", *(s for k in kinds for s in KIND_SUBJECTS[k])}
    bind(cfg, select_rules(cfg, select, ignore), run, subjects)
    col = _Collector(run)
    # Sorted by parts, as Path orders them, without a Python-level comparison per pair.
    by_repo: dict[Path, list[Target]] = {r: [] for r in sorted(discovery.repos, key=lambda r: r.parts)}
    for target in targets:
        by_repo[target.repo.root].append(target)
    groups = [(discovery.repos[r], ts) for r, ts in by_repo.items()]
    chunks = [groups[i : i + _CHUNK] for i in range(0, len(groups), _CHUNK)]
    workers = _workers(jobs, len(targets), len(chunks), run.index)
    if workers > 1:
        from portal_lint.pool import map_chunks

        gc.freeze()  # discovery's objects too: no collection in a worker rewrites (copies) their pages
        return len(targets), map_chunks(lambda i: _lint_chunk(col, chunks[i]), len(chunks), workers)
    return len(targets), [_lint_chunk(col, chunk) for chunk in chunks]


ChunkResult = tuple[list[Diagnostic], list[str], list[str]]  # diagnostics, notices, internal errors


def _workers(jobs: int | None, targets: int, chunks: int, index: Any) -> int:
    """Processes for a run: one with a catalog index, for one unit of work, or for a short run;
    else `jobs`, or PORTAL_LINT_JOBS, or the CPUs this process may use."""
    if index is not None or chunks < 2:
        return 1
    if jobs is None:
        if targets <= POOL_THRESHOLD:
            return 1
        given = os.environ.get("PORTAL_LINT_JOBS", "")
        if given.isdigit() and int(given) > 0:
            jobs = int(given)
        else:
            jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if jobs > 1 and not _can_fork():
        return 1
    return max(1, min(jobs, chunks))


def _can_fork() -> bool:
    """The pool forks: not on Windows (no fork) or macOS (fork is unsafe with its system
    libraries), and not from a process with other threads (an editor's language server),
    where a lock held by another thread would stay locked in the child forever."""
    import threading

    return sys.platform not in ("win32", "darwin") and threading.active_count() == 1


@contextmanager
def _quiet_gc() -> Iterator[None]:
    """A run allocates objects by the million (discovery's paths, parse trees) that die young and
    form no cycles: the collector runs less often, and skips the objects that live for the whole
    run (~10-20% of a long run's time; nothing measurable for a short one)."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(20_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _lint_chunk(col: _Collector, chunk: list[tuple[Repo, list[Target]]]) -> ChunkResult:
    """Lint whole repositories: their targets, then their repository rules, then let go of
    what was parsed (a run over thousands of repositories holds one at a time)."""
    run = col.run
    saved = col.out, run.notices, run.internal_errors
    col.out, run.notices, run.internal_errors = [], [], []
    try:
        for repo, targets in chunk:
            col.enter(repo)
            for target in targets:
                _lint_target(col, target)
            col.run_rules("repo", repo, None, repo)
            col.run_rules("suppressions", run.repo, None, repo)  # after every rule, as ruff's RUF100
            col.flush_unlisted()
            repo.release()
        return col.out, run.notices, run.internal_errors
    finally:
        col.out, run.notices, run.internal_errors = saved


def _lint_target(col: _Collector, target: Target) -> None:
    loader = LOADERS.get(target.kind)
    if loader is None:
        return
    sf = None
    subjects = iter(loader(target, col.run))
    while True:
        try:
            got = next(subjects, None)
        except Exception as exc:  # a loader's bug is reported like a rule's, never a traceback
            if col.run.strict:
                raise
            col.run.internal_errors.append(
                f"internal error reading {posix_rel(target.path, col.run.cwd)}: {type(exc).__name__}: {exc}"
            )
            break
        if got is None:
            break
        on, subject, got_sf = got
        if got_sf.origin is None:
            sf = got_sf
        col.run_rules(on, subject, got_sf, target.repo)
    if sf is not None:
        col.sup_for(sf.path, sf.text, target.repo)  # so unknown codes in its suppressions are reported


def warn(text: str) -> None:
    print(f"portal-lint: {text}", file=sys.stderr)

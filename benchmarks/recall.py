"""Seeded-error recall of portal-lint and its peers on a ``gen_corpus.py`` set.

Each file with a seeded error carries exactly one error, at the 1-based line given in the
set's ``manifest.json``. A seeded error is

* caught **at its line** when the tool reports a finding (any severity) in that file whose
  line is the manifest's line;
* caught **in its file** when the tool reports any finding in that file.

On the ``*-clean`` twin sets, every finding at error level is a false positive.

Every tool's output is normalised to :class:`Finding` (path relative to the corpus root,
candidate lines, severity, code, message, kind). What each tool gives:

* portal-lint ``--format json``: path (relative to cwd), line, severity, code.
* agnix ``--format json``: ``diagnostics[]`` with file, line, level (error|warning|info), rule.
* zatalog: plain text, one ``Kind:ns/name: ...`` line per problem, no file and no line;
  an unparsable file aborts the whole run with ``Error: Invalid YAML: ...`` naming PyYAML's
  line(s) but no file. Entities are mapped back to files by name; YAML errors count at any
  line they mention. ``... does not resolve`` messages (dangling relations: the corpus
  defines no Group/System entities) are kept as findings but never count towards recall,
  since they fire for every entity and would make file-recall meaningless.
* skills-ref (``agentskills validate DIR``): ``Validation failed for DIR:`` then
  ``  - message`` lines; no line numbers, so its line recall is 0 by construction.

CLI (the issue 3 / issue 6 acceptance check is ``--run SET --strict``)::

    python benchmarks/recall.py --manifest CORPUS/catalog/n1000/manifest.json --portal-lint-json out.json
    python benchmarks/recall.py --manifest M --findings agnix=agnix.json --clean agnix=clean.json
    # run portal-lint itself on the set and on its clean twin, fail unless it meets the bar:
    python benchmarks/recall.py --run catalog/n1000 --strict
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

TOOLS = ("portal-lint", "agnix", "zatalog", "skills-ref")


@dataclass(frozen=True)
class Finding:
    path: str | None  # POSIX, relative to the corpus root; None when the tool names no file
    lines: tuple[int, ...]  # candidate lines (empty: the tool gives none)
    severity: str  # error | warning | note
    code: str = ""
    message: str = ""
    kind: str = "check"  # check | parse | relation (zatalog's dangling refs) | other


class ParseError(ValueError):
    """A tool's output could not be read."""


# ---------------------------------------------------------------- paths


def _normalise_path(raw: str, root: Path, cwd: Path) -> str:
    """Path relative to the corpus root, POSIX; tools print paths relative to their cwd."""
    p = Path(raw)
    absolute = p if p.is_absolute() else cwd / p
    try:
        return PurePosixPath(absolute.resolve().relative_to(root.resolve())).as_posix()
    except ValueError:
        return PurePosixPath(raw).as_posix()


# ---------------------------------------------------------------- parsers


def parse_portal_lint(text: str, root: Path, cwd: Path) -> list[Finding]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"portal-lint output is not JSON: {exc}: {text[:200]!r}") from exc
    if not isinstance(data, dict) or data.get("tool") != "portal-lint" or "findings" not in data:
        raise ParseError("not portal-lint JSON output (no tool=portal-lint / findings)")
    out = []
    for f in data["findings"]:
        line = f.get("line")
        out.append(
            Finding(
                path=_normalise_path(f["path"], root, cwd) if f.get("path") else None,
                lines=(int(line),) if line else (),
                severity=str(f.get("severity", "error")),
                code=str(f.get("code", "")),
                message=str(f.get("message", "")),
            )
        )
    return out


_AGNIX_LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def parse_agnix(text: str, root: Path, cwd: Path) -> list[Finding]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"agnix output is not JSON: {exc}: {text[:200]!r}") from exc
    out = []
    for d in data.get("diagnostics", []):
        line = d.get("line")
        out.append(
            Finding(
                # agnix reports some cross-file findings (VER-001) at file "".
                path=_normalise_path(d["file"], root, cwd) if d.get("file") else None,
                lines=(int(line),) if line else (),
                severity=_AGNIX_LEVELS.get(str(d.get("level")), str(d.get("level"))),
                code=str(d.get("rule", "")),
                message=str(d.get("message", "")),
            )
        )
    return out


_ZATALOG_ENTITY = re.compile(r"^(?P<kind>[A-Za-z][\w-]*):(?P<ns>[^/\s]+)/(?P<name>.+?): (?P<msg>.*)$")
_YAML_LINE = re.compile(r"\bline (\d+), column \d+")


def zatalog_entity_index(set_dir: Path, root: Path) -> dict[tuple[str, str], str]:
    """Map (kind lower-cased, name) -> file, by scanning the set's catalog files.

    zatalog names entities, not files. The generator writes ``kind:`` at column 0 and
    ``  name:`` two spaces in, so a line scan is exact for this corpus and far cheaper
    than parsing 5,000 files (some of which do not parse at all).
    """
    index: dict[tuple[str, str], str] = {}
    for file in sorted(set_dir.glob("repo-*/catalog-info.yaml")):
        rel = PurePosixPath(file.relative_to(root)).as_posix()
        kind = ""
        for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("kind:"):
                kind = line[5:].strip().lower()
            elif line.startswith("  name:"):
                name = line[7:].strip().strip('"')
                index.setdefault((kind, name), rel)
    return index


def parse_zatalog(
    text: str, index: dict[tuple[str, str], str] | None = None, file: str | None = None
) -> list[Finding]:
    """zatalog's stdout+stderr. ``file``: the one file this call loaded (``-f FILE`` runs)."""
    out: list[Finding] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("Error: ") and re.match(r"Error: \d+ problem\(s\) found", line):
            i += 1
            continue  # the closing summary
        if line.startswith("Error: "):
            # A multi-line error (PyYAML's message with its marks): gather the indented tail.
            block = [line]
            i += 1
            while (
                i < len(lines) and not _ZATALOG_ENTITY.match(lines[i]) and not lines[i].startswith("Error: ")
            ):
                block.append(lines[i])
                i += 1
            msg = "\n".join(block)
            kind = "parse" if "Invalid YAML" in msg else "other"
            nums = tuple(dict.fromkeys(int(n) for n in _YAML_LINE.findall(msg)))
            out.append(Finding(file, nums, "error", "zatalog", msg, kind))
            continue
        m = _ZATALOG_ENTITY.match(line)
        if m:
            msg = m.group("msg")
            path = file
            if path is None and index is not None:
                path = index.get((m.group("kind").lower(), m.group("name")))
            kind = "relation" if msg.endswith("does not resolve") else "check"
            out.append(Finding(path, (), "error", "zatalog", line, kind))
        i += 1
    return out


_SKREF_FAIL = re.compile(r"^Validation failed for (?P<dir>.+):$")


def parse_skills_ref(text: str, root: Path, cwd: Path) -> list[Finding]:
    """Output of one or many ``agentskills validate DIR`` calls (stderr and stdout merged)."""
    out: list[Finding] = []
    current: str | None = None
    for line in text.splitlines():
        m = _SKREF_FAIL.match(line)
        if m:
            current = _normalise_path(str(Path(m.group("dir")) / "SKILL.md"), root, cwd)
        elif line.startswith("  - ") and current is not None:
            out.append(Finding(current, (), "error", "skills-ref", line[4:]))
        elif line.startswith("Valid skill: "):
            current = None
        elif line.startswith(("Error:", "Traceback")):
            out.append(Finding(None, (), "error", "skills-ref", line, "other"))
    return out


# ---------------------------------------------------------------- scoring


@dataclass
class Recall:
    tool: str
    seeded: int
    at_line: int
    in_file: int
    by_category: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # cat -> (n, line, file)
    missed: list[dict[str, object]] = field(default_factory=list)
    errors_outside_seeded: int = 0  # error findings in files without a seeded error
    findings: int = 0
    unattributed: int = 0  # findings naming no file (zatalog's aborts, agnix's VER-001)

    def as_dict(self) -> dict[str, object]:
        return {
            "tool": self.tool,
            "seeded": self.seeded,
            "at_line": self.at_line,
            "in_file": self.in_file,
            "by_category": {k: list(v) for k, v in self.by_category.items()},
            "missed": self.missed,
            "errors_outside_seeded": self.errors_outside_seeded,
            "findings": self.findings,
            "unattributed": self.unattributed,
        }


def seeded_errors(manifest: dict[str, object]) -> list[dict[str, object]]:
    errors = manifest.get("errors", [])
    assert isinstance(errors, list)
    return errors


def score(tool: str, manifest: dict[str, object], findings: Iterable[Finding]) -> Recall:
    findings = list(findings)
    counted = [f for f in findings if f.kind != "relation"]
    by_file: dict[str, list[Finding]] = {}
    for f in counted:
        if f.path is not None:
            by_file.setdefault(f.path, []).append(f)
    errors = seeded_errors(manifest)
    rec = Recall(tool, len(errors), 0, 0, findings=len(findings))
    rec.unattributed = sum(f.path is None for f in findings)
    cats: dict[str, list[int]] = {}
    seeded_paths = set()
    for e in errors:
        path = str(e["path"])
        seeded_paths.add(path)
        here = by_file.get(path, [])
        hit_line = any(int(str(e["line"])) in f.lines for f in here)
        hit_file = bool(here)
        rec.at_line += hit_line
        rec.in_file += hit_file
        c = cats.setdefault(_category_label(e), [0, 0, 0])
        c[0] += 1
        c[1] += hit_line
        c[2] += hit_file
        if not hit_line:
            rec.missed.append(
                {
                    "path": path,
                    "line": e["line"],
                    "category": e["category"],
                    "variant": e.get("variant"),
                    "reported_lines": sorted({ln for f in here for ln in f.lines}),
                }
            )
    rec.by_category = {k: (v[0], v[1], v[2]) for k, v in sorted(cats.items())}
    rec.errors_outside_seeded = sum(
        1 for f in counted if f.severity == "error" and f.path is not None and f.path not in seeded_paths
    )
    return rec


def _category_label(e: dict[str, object]) -> str:
    # Issue 3 separates the lifecycle *standard* (unknown values, a later issue) from what
    # Backstage itself rejects (an empty lifecycle), so they are scored apart.
    if e["category"] == "bad_lifecycle":
        return (
            "bad_lifecycle (empty)" if e.get("variant") == "empty-string" else "bad_lifecycle (unknown value)"
        )
    return str(e["category"])


# Seeded errors the core issue (3) requires at their line; the rest belong to later issues.
def required_for_portal_lint(e: dict[str, object]) -> bool:
    return _category_label(e) != "bad_lifecycle (unknown value)"


@dataclass
class CleanCount:
    tool: str
    errors: int
    findings: int
    relation_errors: int = 0  # zatalog's dangling-ref problems, listed apart

    def as_dict(self) -> dict[str, object]:
        return {
            "tool": self.tool,
            "errors": self.errors,
            "findings": self.findings,
            "relation_errors": self.relation_errors,
        }


def count_clean(tool: str, findings: Iterable[Finding]) -> CleanCount:
    findings = list(findings)
    errs = [f for f in findings if f.severity == "error"]
    return CleanCount(tool, len(errs), len(findings), sum(f.kind == "relation" for f in errs))


# ---------------------------------------------------------------- CLI


def parse_tool_output(
    tool: str, text: str, root: Path, cwd: Path, set_dir: Path | None = None
) -> list[Finding]:
    if tool == "portal-lint":
        return parse_portal_lint(text, root, cwd)
    if tool == "agnix":
        return parse_agnix(text, root, cwd)
    if tool == "skills-ref":
        return parse_skills_ref(text, root, cwd)
    if tool == "zatalog":
        return parse_zatalog(text, zatalog_entity_index(set_dir, root) if set_dir else None)
    raise ValueError(f"unknown tool {tool!r}; one of {', '.join(TOOLS)}")


def _tool_file(spec: str) -> tuple[str, Path]:
    tool, sep, file = spec.partition("=")
    if not sep or tool not in TOOLS:
        raise argparse.ArgumentTypeError(f"expected TOOL=FILE with TOOL in {', '.join(TOOLS)}, got {spec!r}")
    return tool, Path(file)


def run_portal_lint(set_dir: Path, root: Path, python: str | None = None) -> list[Finding]:
    """Run portal-lint (JSON) on one set, with the corpus root as cwd."""
    from peers import ensure_portal_lint_env  # local: the pure scoring CLI needs no venv

    env = ensure_portal_lint_env(python)
    rel = set_dir.relative_to(root).as_posix()
    proc = subprocess.run(
        [env.python, "-m", "portal_lint", rel, "--format", "json", "--fail-on", "error"],
        cwd=root,
        env=env.env,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        if proc.returncode not in (0, 1):
            raise ParseError(f"exit {proc.returncode}")
        return parse_portal_lint(proc.stdout, root, root)
    except ParseError as exc:
        # A traceback also exits 1, so the stderr tail is what tells a crash from findings.
        raise ParseError(f"{exc} (on {rel}); stderr: {proc.stderr.strip()[-1500:]}") from exc


def format_report(recalls: list[Recall], clean: list[CleanCount]) -> str:
    lines = []
    for r in recalls:
        lines.append(
            f"{r.tool}: {r.at_line}/{r.seeded} at the manifest's line, {r.in_file}/{r.seeded} in the file"
            f" ({r.findings} findings, {r.errors_outside_seeded} error findings in unseeded files,"
            f" {r.unattributed} naming no file)"
        )
        for cat, (n, ln, fl) in r.by_category.items():
            lines.append(f"    {cat:32s} {ln:4d}/{n:<4d} at line  {fl:4d}/{n:<4d} in file")
    for c in clean:
        extra = f" ({c.relation_errors} of them dangling relations)" if c.relation_errors else ""
        lines.append(
            f"{c.tool}: {c.errors} error-level findings on the clean set{extra}, {c.findings} findings in all"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--manifest", type=Path, help="manifest.json of the seeded set")
    parser.add_argument("--portal-lint-json", type=Path, help="portal-lint --format json output on that set")
    parser.add_argument("--findings", type=_tool_file, action="append", default=[], metavar="TOOL=FILE")
    parser.add_argument(
        "--clean",
        type=_tool_file,
        action="append",
        default=[],
        metavar="TOOL=FILE",
        help="output on the clean twin",
    )
    parser.add_argument("--cwd", type=Path, help="directory the tools ran in (default: the corpus root)")
    parser.add_argument(
        "--run", metavar="SET", help="run portal-lint on SET (e.g. catalog/n1000) and its -clean twin"
    )
    parser.add_argument("--python", help="interpreter for --run (default: the benchmark venv)")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 unless portal-lint reports every required seeded error at its line "
        "and no error on the clean set",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    recalls: list[Recall] = []
    clean: list[CleanCount] = []
    if args.run:
        from corpus import ensure_corpus

        root = ensure_corpus()
        manifest_path = root / args.run / "manifest.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        try:
            recalls.append(
                score("portal-lint", manifest, run_portal_lint(root / args.run, root, args.python))
            )
            family, _, size = args.run.partition("/")
            clean_dir = root / f"{family.removesuffix('-clean')}-clean" / size
            clean.append(count_clean("portal-lint", run_portal_lint(clean_dir, root, args.python)))
        except ParseError as exc:
            print(f"error: portal-lint could not be run: {exc}", file=sys.stderr)
            return 2
    else:
        if args.manifest is None:
            parser.error("--manifest (or --run) is required")
        manifest_path = args.manifest.resolve()
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        # manifest paths are relative to the corpus root, two levels above the set folder
        root = manifest_path.parent.parent.parent
        cwd = (args.cwd or root).resolve()
        pairs = list(args.findings)
        if args.portal_lint_json:
            pairs.insert(0, ("portal-lint", args.portal_lint_json))
        if not pairs and not args.clean:
            parser.error("give --portal-lint-json, --findings or --clean")
        set_dir = manifest_path.parent
        clean_dir = (
            set_dir.parent.parent / f"{set_dir.parent.name.removesuffix('-clean')}-clean" / set_dir.name
        )
        try:
            for tool, file in pairs:
                text = file.read_text(encoding="utf-8")
                recalls.append(score(tool, manifest, parse_tool_output(tool, text, root, cwd, set_dir)))
            for tool, file in args.clean:
                text = file.read_text(encoding="utf-8")
                clean.append(count_clean(tool, parse_tool_output(tool, text, root, cwd, clean_dir)))
        except (OSError, ParseError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    if args.json:
        print(
            json.dumps(
                {"recall": [r.as_dict() for r in recalls], "clean": [c.as_dict() for c in clean]}, indent=1
            )
        )
    else:
        print(format_report(recalls, clean))
    if not args.strict:
        return 0
    return 0 if _strict_ok(manifest, recalls, clean) else 1


def _strict_ok(manifest: dict[str, object], recalls: list[Recall], clean: list[CleanCount]) -> bool:
    ok = True
    pl = next((r for r in recalls if r.tool == "portal-lint"), None)
    if pl is None:
        print("strict: no portal-lint findings given", file=sys.stderr)
        return False
    missed = [m for m in pl.missed if required_for_portal_lint(m)]
    if missed:
        ok = False
        print(f"strict: {len(missed)} required seeded errors not reported at their line:", file=sys.stderr)
        for m in missed[:50]:
            print(
                f"  {m['path']}:{m['line']} {m['category']} ({m['variant']}); "
                f"reported lines {m['reported_lines']}",
                file=sys.stderr,
            )
    for c in clean:
        if c.tool == "portal-lint" and c.errors:
            ok = False
            print(f"strict: {c.errors} error-level findings on the clean set", file=sys.stderr)
    return ok


if __name__ == "__main__":
    sys.exit(main())

"""The policy in force for a repository: which portal standards apply, with what parameters,
and where each came from (an AGENTS.md bullet, the built-in standards, or config).

A team writes its standards as bullets under a heading (default "Developer Portal
Standards") in the repository's AGENTS.md or in an org-wide policy file (config `policy`).
Each bullet is matched against the standards portal-lint knows; a match switches on the
rules that enforce it ("gated" rules run only then) and may carry parameters (the lifecycle
list, the API folder). Without such a section the built-in standards (the portal's own
AGENTS.md, see DESIGN) apply. Findings of a gated rule cite the bullet that demands it.

markdown-it-py is imported only when an AGENTS.md has to be read (`portal_lint.parse.markdown`
parses it, once a run for the policy and the AGT rules together).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from portal_lint.config import Config
from portal_lint.diagnostic import Finding, Related
from portal_lint.model import InputError, Repo, posix_rel, read_text
from portal_lint.registry import RuleMeta, load_metadata, lookup
from portal_lint.vocabulary import SHAPES, nearest, read

if TYPE_CHECKING:
    from portal_lint.parse.markdown import MdDoc
    from portal_lint.state import Run

AGENTS_FILE = "AGENTS.md"
BUILTIN = "built-in"
# Said by findings of the built-in standards, which are warnings until a repository adopts them.
ADOPT = (
    "a built-in portal standard, a warning until AGENTS.md declares the standards: "
    "`portal-lint init` writes them"
)

# Patterns are compiled on first use (re caches them): a run without an AGENTS.md standards
# section reads none of them, and compiling them all is a noticeable share of a pre-commit run.

# A bullet is a rule when it uses a modal word or starts with an imperative verb.
_NORMATIVE = (
    r"\b(must|shall|should|required|requires?|mandatory|never|always|needs?|ha(?:s|ve) to|do not|don't)\b"
    r"|(?:^|, )(use|keep|put|add|prefer|avoid|ensure|verify|check|make sure|include|declare|register"
    r"|document|set|store|write|run|follow|tag|name|give|link|pin)\b"
)


def _normative(text: str) -> bool:
    return re.search(_NORMATIVE, text, re.I) is not None


def _norm(text: str) -> str:
    """Bullet text as the recognisers read it: lower case, no Markdown emphasis or code marks."""
    return " ".join(text.replace("`", "").replace("*", "").split()).lower()


def _all(*patterns: str) -> Callable[[str], bool]:
    return lambda text: all(re.search(p, text) for p in patterns)


def _any(*tests: Callable[[str], bool]) -> Callable[[str], bool]:
    return lambda text: any(t(text) for t in tests)


# Fields that a bullet about an entity's existence does not mention.
_FIELD_WORDS = r"\b(owner|lifecycle|system|domain|description|declare|annotation|label|tag|link)s?\b"
_FOLDER = r"\b(?:in|under|inside|into|within)\s+(?:the\s+)?`?\.?/?([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*)/"
_WORD = r"[A-Za-z][A-Za-z0-9-]*"


def _is_word(text: str) -> bool:
    return re.fullmatch(_WORD, text) is not None


def _api_dir(text: str) -> dict[str, Any]:
    m = re.search(_FOLDER, text.replace("`", ""), re.I)
    return {"api-dir": m.group(1)} if m else {}


def _sections(text: str) -> dict[str, Any]:
    """The skill template's sections, from backticked headings or the list after a colon."""
    quoted = [q.strip("# ").strip() for q in re.findall(r"`([^`]+)`", text)]
    named = [q for q in quoted if q and q.lower() != "skill.md"]
    if len(named) < 2 and ":" in text:
        listed = text.rsplit(":", 1)[1].replace("`", "")
        named = [p.strip("#*. ").strip() for p in re.split(r"\s*(?:,|\||;|\band\b|\bthen\b)\s*", listed)]
    named = [n for n in named if n and len(n) <= 40]
    return {"sections": list(dict.fromkeys(named))} if len(named) > 1 else {}


def _lifecycles(text: str) -> dict[str, Any]:
    """The allowed values, from backticked words or the list after `lifecycle …:` / `one of`."""
    quoted = [w for w in re.findall(r"`([^`]+)`", text) if _is_word(w) and w.lower() != "lifecycle"]
    if quoted:
        return {"allowed": list(dict.fromkeys(quoted))}
    m = re.search(
        r"lifecycle[^:]*:\s*([^.;\n]+)|one of\s+([^.;\n]+)|lifecycles?\s+(?:is|are)\s+([^.;\n]+)", text, re.I
    )
    if not m:
        return {}
    listed = next(g for g in m.groups() if g is not None)
    parts = re.split(r"\s*(?:\||,|/|\bor\b|\band\b)\s*", listed.strip())
    values = [p for p in parts if _is_word(p)]
    return {"allowed": values} if len(values) > 1 else {}


class StandardDef(NamedTuple):
    """A standard portal-lint knows how to enforce, and how to recognise it in a bullet."""

    key: str
    title: str
    builtin: str | None  # the bullet of the built-in standards, or None when not one of them
    recognise: Callable[[str], bool]
    params: Callable[[str], dict[str, Any]] = lambda _text: {}
    # False: listed among the built-in standards but enforced only when an AGENTS.md asks.
    by_default: bool = True
    # True: a shape of the standards vocabulary (portal_lint.vocabulary): every bullet of it is
    # a check of its own, with its own parameters, and its rule runs once per bullet.
    multiple: bool = False

    @property
    def switches(self) -> tuple[str, ...]:
        """Codes of the rules that run only when the policy holds this standard (gated)."""
        return declared().get(self.key, ((), ()))[0]

    @property
    def also(self) -> tuple[str, ...]:
        """Codes of the rules that always run and enforce part of it."""
        return declared().get(self.key, ((), ()))[1]


STANDARDS: tuple[StandardDef, ...] = (
    StandardDef(
        "scaffolded-from-template",
        "services are scaffolded from the software template",
        "All new services MUST be scaffolded via the Backstage software template.",
        # Not a skill bullet ("new skills follow the skill template"): that is skill-template.
        lambda text: (
            "skill" not in text
            and _any(_all(r"scaffold"), _all(r"\btemplate", r"\b(creat|generat|bootstrap|new)"))(text)
        ),
        # "New" services cannot be told from old ones offline, and most catalogs predate their
        # template: on by default this would flag every existing service.
        by_default=False,
    ),
    StandardDef(
        "unique-name",
        "entity names are unique in the catalog",
        "Before creating a new service, verify the name is unique in the catalog.",
        _any(_all(r"\bunique", r"\bnames?\b"), _all(r"\bnames?\b", r"\b(taken|in use|collid|clash)")),
    ),
    StandardDef(
        "catalog-info-at-root",
        "catalog-info.yaml is at the repository root",
        "catalog-info.yaml MUST exist at the repository root.",
        _all(r"catalog-info|catalog file", r"\b(root|top[- ]level)\b"),
    ),
    StandardDef(
        "owner-is-group",
        "spec.owner references a group",
        "spec.owner MUST reference a valid group entity.",
        # Not a naming rule for owners ("groups named team-*"): that is owner-name.
        lambda text: (
            _all(r"\bowner|owned by|ownership", r"\b(group|team)s?\b")(text)
            and not re.search(r"\b(name[sd]?|prefix|start|begin|end|suffix|match)\b", text)
        ),
    ),
    StandardDef(
        "system-required",
        "spec.system is set",
        "spec.system MUST reference the parent system.",
        # Not a System's own domain ("each System is part of a Domain").
        lambda text: (
            "domain" not in text
            and _any(
                _all(r"spec\.system"),
                _all(r"\bsystems?\b", r"\b(part of|belongs?|parent|set|reference|declare)"),
            )(text)
        ),
    ),
    StandardDef(
        "api-entity-required",
        "every API has an API entity",
        "Every HTTP/gRPC API MUST have a corresponding API entity.",
        # "API entities MUST declare an owner" is about the API entity's fields, not its existence.
        lambda text: _all(r"\bapis?\b", r"\bentit(y|ies)\b")(text) and not re.search(_FIELD_WORDS, text),
    ),
    StandardDef(
        "api-definition-in-api-dir",
        "API definitions live in the API folder, referenced by $text",
        "API definitions are stored in api/ and referenced via spec.definition.$text.",
        _all(
            r"\bdefinitions?\b",
            r"\$text|\$json|\$yaml|\bapi/|folder|director(y|ies)|stored|kept|live[sd]? in",
        ),
        _api_dir,
    ),
    StandardDef(
        "lifecycle-allowed",
        "spec.lifecycle is one of the allowed values",
        "Lifecycle values: production | experimental | deprecated. Never omit lifecycle.",
        # "The portal shows lifecycles as badges" describes, it does not demand: a lifecycle bullet
        # must be normative or list the values.
        # "API entities MUST declare a lifecycle" asks for the field (field-required), not its values.
        lambda text: (
            "lifecycle" in text
            and (
                bool(_lifecycles(text))
                or (_normative(text) and not re.search(r"\b(declare|set|ha(s|ve)|owners?|domain)\b", text))
            )
        ),
        _lifecycles,
    ),
    StandardDef(
        "skill-template",
        "skills follow the portal's skill template",
        "Every skill MUST follow the portal skill template: Purpose, When to Use, Steps, Constraints.",
        _all(r"\bskills?\b|skill\.md", r"\btemplate\b|\bsections?\b"),
        _sections,
    ),
    StandardDef(
        "techdocs",
        "TechDocs sources exist where techdocs-ref points",
        None,
        # Where the docs are built from; that services have TechDocs at all is required-annotation.
        _all(r"techdocs|mkdocs", r"mkdocs|\bbuild|folder|director|\bpoint|\bsources?\b"),
    ),
    *(
        StandardDef(shape.key, shape.phrasings[0], None, lambda _text: False, multiple=True)
        for shape in SHAPES
    ),
)
_BY_KEY = {s.key: s for s in STANDARDS}


def describe(meta: RuleMeta) -> str | None:
    """What a rule's metadata says it enforces, in words (rule docs, `explain_rule`)."""
    if not meta.standard:
        return None
    texts = [
        f"`{key}`" + (f" (built-in: {_BY_KEY[key].builtin})" if _BY_KEY[key].builtin else "")
        for key in meta.standard
    ]
    if meta.gated:
        return (
            f"{texts[0]}. Runs only where the policy in force holds this standard (an AGENTS.md "
            "bullet, the org policy, or the built-in standards), or when config selects the rule; "
            "its findings cite the bullet."
        )
    return f"part of {' and '.join(texts)}, whatever the policy."


class Source(NamedTuple):
    """Where part of the policy came from."""

    label: str  # "AGENTS.md:12", "built-in", "config (.portal-lint.yaml)"
    path: str | None = None  # file, repository-relative when inside the repository
    line: int = 0  # 1-based
    col: int = 0  # 1-based
    text: str = ""  # the bullet as written

    @property
    def is_bullet(self) -> bool:
        return self.path is not None

    def related(self) -> Related:
        """The bullet as a related location of a finding it demands (SARIF relatedLocations)."""
        return Related(
            self.path or "", self.line, self.col, f"required by {self.label.rsplit(':', 1)[0]}: {self.text}"
        )


class Standard(NamedTuple):
    """A standard in force: the rules that enforce it (codes) and its parameters."""

    definition: StandardDef
    source: Source
    params: dict[str, Any]

    @property
    def key(self) -> str:
        return self.definition.key

    @property
    def gated(self) -> tuple[str, ...]:
        return self.definition.switches

    @property
    def rules(self) -> tuple[str, ...]:
        return self.definition.switches + self.definition.also


class Bullet(NamedTuple):
    """One bullet of a standards section and what it was recognised as."""

    text: str
    source: Source
    normative: bool
    standards: list[str]  # StandardDef keys
    problem: str = ""  # why an explicit `<!-- portal-lint: … -->` form could not be read

    @property
    def enforced(self) -> bool:
        return not self.problem and any(_BY_KEY[k].switches or _BY_KEY[k].also for k in self.standards)

    def hint(self) -> str:
        """How to make an unenforced bullet enforced: the nearest supported phrasing."""
        if self.problem:
            return self.problem
        shape = nearest(self.text)
        if shape is None:
            return "reword it the way `portal-lint policy` shows the recognised standards"
        return (
            f'the nearest supported phrasing is "{shape.phrasings[0]}" ({shape.key}): reword it, or '
            "name the rule and its parameters in a comment after it, e.g. "
            f"`<!-- portal-lint: {shape.key} … -->`"
        )


class Policy(NamedTuple):
    """The standards in force for one repository."""

    standards: dict[str, Standard]
    bullets: list[Bullet]  # empty for the built-in policy
    sections: list[Source]  # the headings read

    @property
    def origin(self) -> str:
        return ", ".join(s.label for s in self.sections) if self.sections else BUILTIN

    def standards_for(self, code: str) -> list[Standard]:
        """The standards that switch `code` on (one per bullet for a vocabulary shape)."""
        return [std for std in self.standards.values() if code in std.gated]

    def param(self, name: str) -> tuple[Any, Source] | None:
        """A parameter of the policy's own standards (a vocabulary shape's are its rule's alone)."""
        for std in self.standards.values():
            if name in std.params and not std.definition.multiple:
                return std.params[name], std.source
        return None

    @property
    def declared(self) -> bool:
        """Whether a standards section declares the policy (else the built-in standards apply)."""
        return bool(self.sections)


@cache
def declared() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Standard key → (gated codes, always-on codes), as the rules' metadata declare them."""
    out: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for meta in load_metadata().values():
        for key in meta.standard:
            gated, also = out.get(key, ((), ()))
            out[key] = ((*gated, meta.code), also) if meta.gated else (gated, (*also, meta.code))
    return out


@cache
def gated_codes() -> frozenset[str]:
    return frozenset(m.code for m in load_metadata().values() if m.gated)


@cache
def builtin_policy() -> Policy:
    """The built-in standards (one object: nothing changes a policy once read)."""
    standards = {
        d.key: Standard(d, Source(BUILTIN, text=d.builtin), d.params(d.builtin))
        for d in STANDARDS
        if d.builtin is not None and d.by_default
    }
    return Policy(standards, [], [])


# --------------------------------------------------------------------------- AGENTS.md


class _Item(NamedTuple):
    line: int  # 0-based line of the list item
    parts: list[str]
    children: list[_Item]

    @property
    def own(self) -> str:
        return " ".join(self.parts)

    def full(self) -> str:
        return " ".join([self.own, *(c.full() for c in self.children)])


def _heading_matches(text: str, wanted: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()

    return norm(wanted) in norm(text)


def _section_items(doc: MdDoc, heading: str) -> tuple[int, list[_Item]] | None:
    """(heading line, top-level list items) of the standards section, or None without one."""
    tokens = doc.tokens
    start = level = heading_line = None
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.map and _heading_matches(tokens[i + 1].content, heading):
            start, level, heading_line = i, int(tok.tag[1:]), tok.map[0]
            break
    if start is None or level is None or heading_line is None:
        return None
    top: list[_Item] = []
    stack: list[_Item] = []
    for tok in tokens[start + 3 :]:
        if tok.type == "heading_open" and int(tok.tag[1:]) <= level:
            break
        if tok.type == "list_item_open":
            item = _Item(tok.map[0] if tok.map else 0, [], [])
            (stack[-1].children if stack else top).append(item)
            stack.append(item)
        elif tok.type == "list_item_close":
            stack.pop()
        elif tok.type in ("inline", "html_block") and stack:  # html: an explicit `<!-- portal-lint: … -->`
            stack[-1].parts.append(" ".join(tok.content.split()))
    return heading_line, top


_EXPLICIT = re.compile(r"<!--\s*portal-lint:\s*(.*?)\s*-->", re.S)

Checks = list[tuple[str, dict[str, Any]]]  # (standard key, parameters), one per check a bullet asks for


def _explicit(form: str) -> tuple[Checks, str]:
    """`<!-- portal-lint: RULE name=value … -->` read: (checks, problem)."""
    import shlex

    try:
        words = shlex.split(form)
    except ValueError as exc:
        return (
            [],
            f"the portal-lint comment cannot be read ({exc}): write `<!-- portal-lint: RULE key=value -->`",
        )
    definition = _BY_KEY.get(words[0]) if words else None
    if definition is None or not definition.switches:
        known = ", ".join(d.key for d in STANDARDS if d.switches)
        return (
            [],
            f"the portal-lint comment names no standard rule (`{words[0] if words else ''}`): "
            f"use one of {known}",
        )
    options = {n: o for code in definition.switches for n, o in load_metadata()[code].options.items()}
    params: dict[str, Any] = {}
    for word in words[1:]:
        name, eq, value = word.partition("=")
        spec = options.get(name)
        if not eq or spec is None:
            listed = ", ".join(options) or "none"
            return [], f"`{word}` is not a parameter of {definition.key} (its parameters: {listed})"
        if spec.type == "list":
            params[name] = [v.strip() for v in value.split(",") if v.strip()]
        elif spec.type == "int":
            if not value.isdigit():
                return [], f"`{word}`: {name} takes a whole number"
            params[name] = int(value)
        elif spec.type == "bool":
            params[name] = value.lower() in ("true", "yes", "1")
        else:
            params[name] = value
    return [(definition.key, params)], ""


def _checks(own: str, full: str) -> tuple[Checks, str]:
    """What a bullet asks portal-lint to check: the explicit form, a vocabulary shape read
    exactly, or the standards it is recognised as (with parameters from its nested bullets)."""
    m = _EXPLICIT.search(own)
    if m:
        return _explicit(m.group(1))
    shaped = read(_EXPLICIT.sub("", own).strip())
    if shaped:
        return shaped, ""
    norm = _norm(own)
    keys = [d.key for d in STANDARDS if d.recognise(norm)]
    return [(key, _BY_KEY[key].params(full)) for key in keys], ""


def _classify(item: _Item, lines: list[str], label: str, path: str) -> Iterator[tuple[Bullet, Checks]]:
    """Bullets with the checks they ask for; a bullet that asks for none passes to its children."""
    checks, problem = _checks(item.own, item.full())
    own = re.sub(r"\s*<!--.*?-->", "", item.own, flags=re.S).strip()
    if not checks and not problem and item.children:
        for child in item.children:
            yield from _classify(child, lines, label, path)
        return
    raw = lines[item.line] if item.line < len(lines) else ""
    m = re.match(r"\s*(?:[-*+]|\d+[.)])\s+", raw)
    col = (m.end() if m else len(raw) - len(raw.lstrip())) + 1
    source = Source(f"{label}:{item.line + 1}", path, item.line + 1, col, own)
    keys = list(dict.fromkeys(key for key, _ in checks))
    normative = _normative(item.full()) or bool(checks) or bool(problem)
    yield Bullet(own, source, normative, keys, problem), checks


def read_section(
    file: Path, repo_root: Path, heading: str, read_doc: Callable[[str], MdDoc] | None = None
) -> tuple[Source, list[tuple[Bullet, Checks]]] | None:
    """The standards section of one Markdown file, or None when it has none (or cannot be read).
    `read_doc` parses its text: the run's, so the AGT rules reuse the parse of the root AGENTS.md."""
    try:
        text = read_text(file)
    except InputError:
        return None
    if "-" not in text and "*" not in text and "+" not in text:
        return None
    if read_doc is None:  # here, not at the top: the built-in policy needs no Markdown reader
        from portal_lint.parse.markdown import parse

        read_doc = parse
    got = _section_items(read_doc(text), heading)
    if got is None:
        return None
    heading_line, items = got
    path = posix_rel(file, repo_root)
    label = file.name if path == file.name else path
    lines = text.split("\n")
    section = Source(f"{label}:{heading_line + 1}", path, heading_line + 1, 1, lines[heading_line].strip())
    return section, [b for item in items for b in _classify(item, lines, label, path)]


def load_policy(repo_root: Path, cfg: Config, read_doc: Callable[[str], MdDoc] | None = None) -> Policy:
    """The policy for a repository: org policy file, then the root AGENTS.md (which wins)."""
    heading = cfg.get("standards-heading")
    files: list[Path] = []
    org = cfg.get("policy")
    if org:
        org_path = Path(org).expanduser()
        files.append(org_path if org_path.is_absolute() else repo_root / org_path)
    files.append(repo_root / AGENTS_FILE)
    standards: dict[str, Standard] = {}
    bullets: list[Bullet] = []
    sections: list[Source] = []
    for file in dict.fromkeys(files):
        got = read_section(file, repo_root, heading, read_doc)
        if got is None:
            continue
        sections.append(got[0])
        for bullet, checks in got[1]:
            bullets.append(bullet)
            for n, (key, params) in enumerate(checks):
                definition = _BY_KEY[key]
                if definition.multiple:  # a check of its own, whoever else asks for the same shape
                    standards[f"{key}@{bullet.source.label}#{n}"] = Standard(
                        definition, bullet.source, params
                    )
                    continue
                earlier = standards.get(key)
                merged = {**(earlier.params if earlier else {}), **params}
                standards[key] = Standard(definition, bullet.source, merged)
    entries = _config_standards(cfg, repo_root)
    if not sections:
        if not entries:
            return builtin_policy()
        standards = dict(builtin_policy().standards)
    standards.update(entries)
    return Policy(standards, bullets, sections)


def _config_standards(cfg: Config, repo_root: Path) -> dict[str, Standard]:
    """The config's `standards` entries (validated when the config was read), one check each."""
    out: dict[str, Standard] = {}
    metas = {m.name: m for m in load_metadata().values()}
    for n, entry in enumerate(cfg.get("standards"), start=1):
        meta = metas[entry["rule"]]
        params = {k: v for k, v in entry.items() if k != "rule"}
        said = " ".join(
            f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in params.items()
        )
        source = Source(f"{Path(cfg.source).name} standards[{n}]", text=f"{meta.name} {said}".strip())
        out[f"{meta.standard[0]}@config#{n}"] = Standard(_BY_KEY[meta.standard[0]], source, params)
    return out


def policy_for(run: Run, repo: Repo) -> Policy:
    """The repository's policy, read once per run."""
    state = run.state_of(repo.root)
    if state.policy is None:
        state.policy = load_policy(repo.root, run.config, state.markdown)
    return state.policy


# --------------------------------------------------------------------------- rules' view


def cite(finding: Finding, standard: Standard | None, root: Path, cwd: Path) -> tuple[Finding, str | None]:
    """A gated rule's finding citing the AGENTS.md bullet that demands it (its line at the end of
    the message, the bullet as a related location), and the standard's text as written. The
    citation's path has the findings' base, the current folder (`cwd`): `../AGENTS.md:7` beside
    `../catalog-info.yaml:12:3`; `root` is the repository's."""
    if standard is None:
        return finding, None
    src = standard.source
    if src.label == BUILTIN:
        return finding._replace(message=f"{finding.message} ({ADOPT})"), src.text
    if not src.is_bullet:  # a config entry
        return finding._replace(message=f"{finding.message} ({src.label})"), src.text
    label = f"{posix_rel(root / src.path, cwd)}:{src.line}" if src.path else src.label
    cited = finding._replace(
        message=f"{finding.message} ({label})", related=(src.related(), *finding.related)
    )
    return cited, src.text


def config_selects(cfg: Config, meta: RuleMeta, also: tuple[str, ...] = ()) -> bool:
    """Config's `select` (or the command line's, `also`) names this rule itself, not just its
    family: run it whatever the policy."""
    tokens = [t for given in (*cfg.get("select"), *also) for t in given.split(",")]
    return any(t.strip().upper() == meta.code or t.strip().lower() == meta.name for t in tokens)


def disabled_by_config(cfg: Config, code: str, enabled: set[str]) -> tuple[str, str] | None:
    """(config key, token) that keeps `code` from running, or None when config does not.
    `enabled` is what config selects (selection.select_rules without command-line flags)."""
    for token in cfg.get("ignore"):
        if code in lookup(token):
            return "ignore", token
    if cfg.get("select") and code not in enabled:
        return "select", ""
    return None


def param_source(cfg: Config, meta: RuleMeta, name: str, policy: Policy) -> tuple[Any, Source]:
    """An option's value and where it came from: config, then the policy, then the default."""
    for key in (meta.code, meta.name):
        opts = cfg.get("rules").get(key) or {}
        if name in opts:
            return opts[name], Source(f"config ({cfg.source})")
    got = policy.param(name)
    if got is not None:
        return got
    return meta.options[name].default, Source(BUILTIN)


def enforcement(
    policy: Policy, cfg: Config, meta: RuleMeta, select: tuple[str, ...]
) -> list[tuple[Standard | None, dict[str, Any]]]:
    """How a gated rule runs in a repository with this policy: once per standard that asks for
    it, with its options (config's, else the policy's parameters, else the defaults); once with
    the defaults when only config (or the command line's `select`) asks; else not at all."""
    found = policy.standards_for(meta.code)
    if not found:
        if not config_selects(cfg, meta, select):
            return []
        return [(None, {n: param_source(cfg, meta, n, policy)[0] for n in meta.options})]
    out: list[tuple[Standard | None, dict[str, Any]]] = []
    for std in found:
        if std.definition.multiple:
            out.append((std, dict(std.params)))
        else:
            out.append((std, {n: param_source(cfg, meta, n, policy)[0] for n in meta.options}))
    return out

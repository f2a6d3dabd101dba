"""SKL: SKILL.md against the Agent Skills specification and the clients that load skills."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from portal_lint.diagnostic import Finding, Fix, Span, excerpt
from portal_lint.markdown_files import file_anchors
from portal_lint.parse.markdown import MARKDOWN_SUFFIXES, anchor_missing, line_span, split_target
from portal_lint.parse.tree import PMap, PSeq
from portal_lint.policy import BUILTIN, config_selects
from portal_lint.registry import RuleContext, rule
from portal_lint.skills import CLAUDE_FIELDS, SPEC_FIELDS, SkillFile

_VALID_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # the specification's name, ASCII
_ORDERED_ITEM = re.compile(r"\s{0,3}\d{1,9}[.)](?:[ \t]|$)")
TOKEN_CHARS = 4  # characters per token: the estimate agnix AS-021 uses


def _tolerated(skill: SkillFile, ctx: RuleContext, key: str) -> bool:
    """Whether a form outside the specification is a note (SKL013) rather than an error: under
    the lenient profile, and for Claude Code's own forms in `.claude/skills/`. A misspelt
    specification field is never tolerated."""
    if key in CLAUDE_FIELDS or key == "allowed-tools":
        return skill.for_claude or ctx.run.config.get("skills-profile") == "lenient"
    return _misspelt(key) is None and ctx.run.config.get("skills-profile") == "lenient"


def _misspelt(key: str) -> str | None:
    """The specification field `key` looks like a typo of, if any."""
    if key in SPEC_FIELDS:
        return None
    from difflib import SequenceMatcher

    folded = key.lower().replace("_", "-")
    return next((f for f in SPEC_FIELDS if SequenceMatcher(None, folded, f).ratio() >= 0.8), None)


def _line_span(skill: SkillFile, line: int) -> Span:
    return line_span(skill.lines, line)


def _quoted(skill: SkillFile, span: Span, key: str) -> str:
    """`key: "value"` as the author should write it, from the text they typed."""
    typed = skill.text_at(span).strip() or "…"
    return f'{excerpt(key)}: "{excerpt(typed)}"'


def _quote_fix(skill: SkillFile, span: Span) -> Fix:
    """Double-quote a plain value as typed, the way portal-lint already reads it (SKL003's repair)."""
    typed = skill.text_at(span)
    certain = bool(typed) and typed[0] not in "\"'" and typed == typed.strip(" \t")
    return Fix("quote the value", ((span, json.dumps(typed, ensure_ascii=False)),) if certain else ())


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    return "a number" if isinstance(value, int | float) else "a string"


def _must_be_string(skill: SkillFile, meta: PMap, key: str, fix: str) -> str | None:
    """The message when `key` is not a usable string, or None. A number or boolean is a string
    the author forgot to quote, so its fix is the quoted text; otherwise the fix is `fix`."""
    value = meta[key]
    if isinstance(value, str):
        return None if value.strip() else f"`{key}` is empty: {fix}"
    if isinstance(value, dict | list) or value is None:
        return f"`{key}` must be a string, not {_kind(value)}: {fix}"
    return (
        f"`{key}` must be a string, but YAML reads it as {_kind(value)}; quote it: "
        f"{_quoted(skill, meta.value_span(key), key)}"
    )


# ---------------------------------------------------------------- frontmatter


@rule("SKL001")
def skill_frontmatter_missing(skill: SkillFile, ctx: RuleContext) -> Iterator[Finding]:
    if skill.error is None and skill.frontmatter is None:
        yield Finding(
            "SKILL.md does not start with YAML frontmatter, so no client can load the skill: "
            "begin the file with `---`, `name: …`, `description: …` and a closing `---`",
            _line_span(skill, 0),
        )


@rule("SKL002")
def skill_frontmatter_invalid(skill: SkillFile, ctx: RuleContext) -> Iterator[Finding]:
    if skill.error is not None:
        fix = "" if "re-save" in skill.error else ": replace it with a UTF-8 text file"
        yield Finding(f"{skill.error}; no client can read this skill{fix}", _line_span(skill, 0))
        return
    fm, doc = skill.frontmatter, skill.doc
    if fm is None:
        return
    if fm.end is None:
        yield Finding(
            "the frontmatter opened on line 1 is never closed, so clients read the whole file as "
            "YAML and reject it: add a `---` line after the last field",
            _line_span(skill, 0),
        )
        return
    assert doc is not None
    problem = doc.syntax or doc.limit
    if problem is not None:
        yield Finding(
            f"the frontmatter is not valid YAML: {problem.message}; clients skip the skill: fix the YAML "
            "here (quote a value that holds `: ` or ` #` or starts with `[`, `{`, `*`, `&` or `!`)",
            problem.span,
        )
    elif doc.empty:
        yield Finding("the frontmatter is empty: add `name:` and `description:`", _line_span(skill, 0))
    elif not isinstance(doc.root, PMap):
        yield Finding(
            f"the frontmatter must be a mapping of fields, found {_kind(doc.root)}: write `name: …` and "
            "`description: …` lines",
            doc.root_span,
        )
    for key, span, first in doc.duplicates:
        yield Finding(
            f"`{key}` is set twice (first on line {first.line + 1}); strict parsers reject the "
            "frontmatter and others keep a different copy: keep one",
            span,
            pointer=key,
        )


@rule("SKL003")
def skill_unquoted_colon(skill: SkillFile, ctx: RuleContext) -> Iterator[Finding]:
    for key, span in skill.unquoted:
        yield Finding(
            f"the `{excerpt(key)}` value contains `: ` without quotes; Claude Code reads it, but strict YAML "
            "parsers (Codex, skills-ref, `npx skills`) reject the frontmatter and silently skip the "
            f"skill: quote it: {_quoted(skill, span, key)}",
            span,
            pointer=key,
            fix=_quote_fix(skill, span),
        )


@rule("SKL004")
def skill_field_missing(skill: SkillFile, ctx: RuleContext) -> Iterator[Finding]:
    meta = skill.meta
    if meta is None:
        return
    typos = {_misspelt(k) for k in meta}
    for key in ("name", "description"):
        if key not in meta and key not in typos:  # a misspelt key is SKL012's one finding
            yield Finding(
                f"the frontmatter has no `{key}`, which the Agent Skills specification requires; "
                f"clients skip the skill: add `{key}: {skill.folder.name if key == 'name' else '…'}`",
                _line_span(skill, meta.span.line),  # the mapping that should hold it
                pointer=key,
            )


# ---------------------------------------------------------------- name


def _name_problems(name: str, unicode_ok: bool) -> list[str]:
    if len(name) <= 64 and _VALID_NAME.fullmatch(name):
        return []
    out = []
    if len(name) > 64:
        out.append(f"is {len(name)} characters (at most 64)")
    if name != name.lower():
        out.append("must be lowercase")
    allowed = (lambda c: c.isalnum() or c == "-") if unicode_ok else (lambda c: c in _ASCII_NAME_CHARS)
    bad = sorted({c for c in name.lower() if not allowed(c)})
    if bad:
        out.append(
            "may only hold "
            + ("letters" if unicode_ok else "a-z")
            + ", digits and hyphens, not "
            + " ".join(f"`{c}`" for c in bad)
        )
    if name.startswith("-") or name.endswith("-"):
        out.append("must not start or end with a hyphen")
    if "--" in name:
        out.append("must not contain `--`")
    return out


_ASCII_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def suggest_name(name: str) -> str:
    """The closest valid name: lowercase, other characters as hyphens, at most 64 characters."""
    text = re.sub(r"[^a-z0-9]+", "-", _normalize("NFKD", name).lower())
    return text.strip("-")[:64].rstrip("-")


def _nfkc(text: str) -> str:
    return _normalize("NFKC", text)


def _normalize(form: Literal["NFKC", "NFKD"], text: str) -> str:
    """Unicode normalisation, skipped (with its import) for ASCII, which it leaves unchanged."""
    if text.isascii():
        return text
    import unicodedata

    return unicodedata.normalize(form, text)


@rule("SKL005")
def skill_name_invalid(skill: SkillFile, ctx: RuleContext) -> Iterator[Finding]:
    meta = skill.meta
    if meta is None or "name" not in meta:
        return
    span = meta.value_span("name")
    why = _must_be_string(skill, meta, "name", "use the folder name (lowercase letters, digits, hyphens)")
    if why is not None:
        yield Finding(why, span, pointer="name")
        return
    name = _nfkc(meta["name"].strip())
    problems = _name_problems(name, bool(ctx.options["allow-unicode"]))
    if problems:
        better = suggest_name(name)
        tail = f"name it `{better}`" + (
            " and rename the folder to match" if better != skill.folder.name else ""
        )
        yield Finding(
            f"skill name `{excerpt(name)}` " + "; ".join(problems) + f": {tail}", span, pointer="name"
        )


@rule("SKL006")
def skill_name_mismatch(skill: SkillFile, ctx: RuleContext) -> Iterator[Finding]:
    meta = skill.meta
    name = meta.get("name") if meta is not None else None
    if meta is None or not isinstance(name, str) or not name.strip():
        return
    name, folder = _nfkc(name.strip()), _nfkc(skill.folder.name)
    if name == folder or (suggest_name(name) == folder and _name_problems(name, unicode_ok=True)):
        return  # equal, or the fix SKL005 proposes for the invalid name makes them equal
    if _name_problems(folder, unicode_ok=True):
        # The folder's own name is not a valid skill name: copying it would break SKL005.
        valid = suggest_name(folder)
        fix = f"rename the folder to `{valid}` and set `name: {valid}`"
    else:
        fix = f"rename the folder or set `name: {excerpt(folder)}`"
    yield Finding(
        f"skill name `{excerpt(name)}` does not match its folder `{excerpt(folder)}`; the specification "
        f"requires them to be equal and clients list the skill under the folder name: {fix}",
        meta.value_span("name"),
        pointer="name",
    )


# ---------------------------------------------------------------- other fields


def _length_problem(meta: PMap, key: str, limit: int, fix: str) -> str | None:
    value = meta[key]
    if isinstance(value, str) and len(value) > limit:
        return f"`{key}` is {len(value)} characters, over the specification's {limit}: {fix}"
    return None


def _bounded_text(skill: SkillFile, key: str, limit: int, fix: str, length_fix: str) -> Iterator[Finding]:
    """The finding when the field `key`, if present, is not a string of 1 to `limit` characters."""
    meta = skill.meta
    if meta is None or key not in meta:
        return
    why = _must_be_string(skill, meta, key, fix) or _length_problem(meta, key, limit, length_fix)
    if why is not None:
        yield Finding(why, meta.value_span(key), pointer=key)


@rule("SKL007")
def skill_description_invalid(skill: SkillFile, ctx: RuleContext) -> Iterator[Finding]:
    yield from _bounded_text(
        skill,
        "description",
        int(ctx.options["max-length"]),
        "say what the skill does and when to use it",
        "clients truncate or reject longer ones; keep what the skill does and when to use it here and "
        "move the detail into the body",
    )


@rule("SKL008")
def skill_compatibility_invalid(skill: SkillFile, ctx: RuleContext) -> Iterator[Finding]:
    fix = "state the environment the skill needs in 1–500 characters, or remove the field"
    yield from _bounded_text(skill, "compatibility", 500, fix, fix)


@rule("SKL009")
def skill_metadata_invalid(skill: SkillFile, ctx: RuleContext) -> Iterator[Finding]:
    meta = skill.meta
    if meta is None or "metadata" not in meta:
        return
    value = meta["metadata"]
    if not isinstance(value, PMap):
        yield Finding(
            f"`metadata` must be a mapping of string keys to string values, not {_kind(value)}: write "
            "`key: value` lines indented under `metadata:`",
            meta.value_span("metadata"),
            pointer="metadata",
        )
        return
    for key, item in value.items():
        if isinstance(item, str):
            continue
        span = value.value_span(key)
        if isinstance(item, dict | list):
            msg = (
                f"`metadata.{excerpt(key)}` is {_kind(item)}; the specification allows only string values "
                "and strict clients reject nested ones: flatten it into `key: value` strings"
            )
        elif item is None:
            msg = f"`metadata.{excerpt(key)}` has no value; give it a string or remove it"
        else:
            msg = (
                f"`metadata.{excerpt(key)}` is {_kind(item)} to YAML, but metadata values must be strings "
                f"(strict clients reject the skill): quote it: {_quoted(skill, span, key)}"
            )
        fix = _quote_fix(skill, span) if isinstance(item, bool | int | float) else None
        yield Finding(msg, span, pointer=f"metadata.{key}", fix=fix)


_LICENSE_FILE = re.compile(r"[^\s]*(?:/|\.(?:txt|md)$|^LICEN[CS]E)", re.I)


@rule("SKL010")
def skill_license_invalid(skill: SkillFile, ctx: RuleContext) -> Iterator[Finding]:
    meta = skill.meta
    if meta is None or "license" not in meta:
        return
    span = meta.value_span("license")
    why = _must_be_string(
        skill, meta, "license", "name the license (e.g. `Apache-2.0`) or a bundled license file"
    )
    if why is not None:
        yield Finding(why, span, pointer="license")
        return
    value = meta["license"].strip()
    if " " not in value and _LICENSE_FILE.match(value) and not (skill.folder / value).is_file():
        yield Finding(
            f"`license` names the file `{excerpt(value)}`, which is not in the skill folder: add the file "
            "or name the license instead",
            span,
            pointer="license",
        )


def _parens_balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


@rule("SKL011")
def skill_allowed_tools_invalid(skill: SkillFile, ctx: RuleContext) -> Iterator[Finding]:
    meta = skill.meta
    if meta is None or "allowed-tools" not in meta:
        return
    value, span = meta["allowed-tools"], meta.value_span("allowed-tools")
    if isinstance(value, list):
        bad = [i for i, item in enumerate(value) if not isinstance(item, str) or not item.strip()]
        if bad and isinstance(value, PSeq):
            yield Finding("every `allowed-tools` entry must be a tool name", value.item_spans[bad[0]])
        elif not bad and not _tolerated(skill, ctx, "allowed-tools"):
            joined = excerpt(" ".join(value))
            yield Finding(
                "`allowed-tools` is a list, but the specification defines a space-separated string "
                f"(skills-ref rejects lists): write `allowed-tools: {joined}`",
                meta.key_span("allowed-tools"),  # a block list spans lines; its key is one place
                pointer="allowed-tools",
            )
        return
    fix = "list tools separated by spaces, e.g. `Bash(git:*) Read`"
    why = _must_be_string(skill, meta, "allowed-tools", fix)
    if why is None and not _parens_balanced(value):
        why = f"`allowed-tools` has unbalanced parentheses in `{excerpt(value)}`: {fix}"
    if why is not None:
        yield Finding(why, span, pointer="allowed-tools")


def _unknown_fields(meta: PMap) -> list[str]:
    return [k for k in meta if k not in SPEC_FIELDS]


@rule("SKL012")
def skill_field_unknown(skill: SkillFile, ctx: RuleContext) -> Iterator[Finding]:
    meta = skill.meta
    if meta is None:
        return
    for key in _unknown_fields(meta):
        if _tolerated(skill, ctx, key):
            continue
        typo = _misspelt(key)
        hint = f"did you mean `{typo}`? Otherwise " if typo else ""
        yield Finding(
            f"`{excerpt(key)}` is not an Agent Skills field; skills-ref and strict clients reject the skill: "
            f"{hint}move it under `metadata`, or set `skills-profile: lenient` if your clients read it",
            meta.key_span(key),
            pointer=key,
        )


@rule("SKL013")
def skill_field_nonportable(skill: SkillFile, ctx: RuleContext) -> Iterator[Finding]:
    meta = skill.meta
    if meta is None:
        return
    for key in _unknown_fields(meta):
        if not _tolerated(skill, ctx, key):
            continue
        who = "Claude Code reads it" if key in CLAUDE_FIELDS else "no documented client reads it"
        yield Finding(
            f"`{excerpt(key)}` is not an Agent Skills field ({who}); other clients ignore it and skills-ref "
            "rejects the skill: keep it only if your clients need it, else move it under `metadata`",
            meta.key_span(key),
            pointer=key,
        )
    tools = meta.get("allowed-tools")
    if (
        isinstance(tools, list)
        and all(isinstance(t, str) for t in tools)
        and _tolerated(skill, ctx, "allowed-tools")
    ):
        yield Finding(
            "`allowed-tools` is a list; the specification defines a space-separated string, which "
            f"every client reads: write `allowed-tools: {excerpt(' '.join(tools))}`",
            meta.key_span("allowed-tools"),
            pointer="allowed-tools",
        )


# ---------------------------------------------------------------- body


@rule("SKL014")
def skill_too_long(skill: SkillFile, ctx: RuleContext) -> Iterator[Finding]:
    text = skill.source.text
    max_lines, max_tokens = int(ctx.options["max-lines"]), int(ctx.options["max-tokens"])
    if text.count("\n") < max_lines and len(text) <= max_tokens * TOKEN_CHARS:
        return  # the whole file is within both limits, so the body is too
    lines = skill.lines
    if lines and lines[-1] == "":
        lines = lines[:-1]
    if len(lines) > max_lines:
        yield Finding(
            f"SKILL.md has {len(lines)} lines and this is line {max_lines + 1}; the specification "
            f"recommends under {max_lines}, because agents load the whole file when the skill "
            "activates: move reference material into `references/` and link it",
            _line_span(skill, max_lines),
        )
        return
    budget = max_tokens * TOKEN_CHARS
    used = 0
    for no in range(skill.body_start, len(lines)):
        used += len(lines[no]) + 1
        if used > budget:
            total = sum(len(x) + 1 for x in lines[skill.body_start :]) // TOKEN_CHARS
            yield Finding(
                f"the SKILL.md body is about {total} tokens (characters / {TOKEN_CHARS}); the "
                f"specification recommends under {max_tokens}, and this line crosses it: move "
                "reference material into `references/` and link it",
                _line_span(skill, no),
            )
            return


def _outside(skill: SkillFile, path: str) -> bool:
    if path.startswith(("/", "~", "\\")) or re.match(r"[A-Za-z]:[\\/]", path):
        return True
    folder = str(skill.folder)
    resolved = os.path.normpath(os.path.join(folder, path))
    return resolved != folder and not resolved.startswith(folder + os.sep)


@rule("SKL015")
def skill_reference_missing(skill: SkillFile, ctx: RuleContext) -> Iterator[Finding]:
    for ref in skill.references:
        path, fragment = split_target(ref.target)
        if path and _outside(skill, path):
            continue  # SKL016
        where = os.path.join(skill.folder, path) if path else str(skill.path)
        if path and not os.path.exists(where):
            kind = "links to" if ref.is_link else "refers to"
            yield Finding(
                f"the skill {kind} `{excerpt(path)}`, which does not exist in the skill folder; agents that "
                "follow it find nothing: fix the path or add the file",
                ref.span,
            )
        elif fragment and ref.is_link and where.lower().endswith(MARKDOWN_SUFFIXES) and os.path.isfile(where):
            anchors = file_anchors(Path(where), ctx.run.memo, full=False) if path else skill.body.anchors
            if anchor_missing(anchors, fragment):
                yield Finding(
                    f"`#{excerpt(fragment)}` matches no heading in `{excerpt(path or skill.path.name)}`: "
                    "use one of its heading anchors (lowercase, spaces as hyphens)",
                    ref.span,
                )


@rule("SKL016")
def skill_reference_outside(skill: SkillFile, ctx: RuleContext) -> Iterator[Finding]:
    for ref in skill.references:
        path, _ = split_target(ref.target)
        if path and _outside(skill, path):
            yield Finding(
                f"`{excerpt(path)}` points outside the skill folder; a skill is installed and shared as its "
                "folder, so the file is missing wherever the skill is copied: move the file into the "
                "skill (e.g. `references/`) and use a relative path",
                ref.span,
            )


# ---------------------------------------------------------------- portal template


@rule("SKL017")
def skill_template(skill: SkillFile, ctx: RuleContext) -> Iterator[Finding]:
    if skill.error is not None:
        return
    # The built-in template is the portal's: it applies to the skills of repositories in its
    # catalog (with a catalog file), not to every collection of skills linted on its own.
    builtin = ctx.standard is not None and ctx.standard.source.label == BUILTIN
    selected = config_selects(ctx.run.config, ctx.meta, ctx.run.select)
    if builtin and not skill.source.repo.catalog_paths() and not selected:
        return
    wanted = [str(s) for s in ctx.options["sections"]]
    if not wanted:
        return
    body = skill.body
    found: dict[str, int] = {}
    for i, h in enumerate(body.headings):
        found.setdefault(h.text.strip().rstrip(":").strip().lower(), i)
    listed = ", ".join(wanted)
    missing = [t for t in wanted if t.lower() not in found]
    if missing:
        names = ", ".join(f"`## {t}`" for t in missing)
        yield Finding(
            f"the portal skill template requires the section{'s' if len(missing) > 1 else ''} {names} "
            f"(in order: {listed}): add {'them' if len(missing) > 1 else 'it'}",
            _line_span(skill, body.headings[0].line if body.headings else skill.body_start),
        )
    ordered = str(ctx.options["ordered-list"]).lower()
    last = -1
    for title in wanted:
        index = found.get(title.lower())
        if index is None:
            continue
        head = body.headings[index]
        span = _line_span(skill, head.line)
        content = [skill.lines[n] for n in body.section(index) if skill.lines[n].strip()]
        if index < last:
            yield Finding(
                f"`{title}` is out of order; the portal skill template orders {listed}: move the section "
                "into that order",
                span,
            )
        elif not content:
            yield Finding(f"the `{title}` section is empty: write what belongs under it", span)
        elif title.lower() == ordered and not any(_ORDERED_ITEM.match(c) for c in content):
            yield Finding(
                f"`{title}` must be a numbered list, so agents follow it in order: number its items "
                "`1.`, `2.`, …",
                span,
            )
        last = max(last, index)

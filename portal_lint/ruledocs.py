"""Rule documentation rendered from rules/*.yaml: `portal-lint rule CODE` and docs/rules.md."""

from __future__ import annotations

from itertools import groupby

import yaml

from portal_lint.policy import describe
from portal_lint.registry import RuleMeta, load_metadata, rules_dir

HEADER = "<!-- Generated from rules/*.yaml by `python -m portal_lint.ruledocs`; do not edit. -->\n"


def _options(meta: RuleMeta) -> list[str]:
    if not meta.options:
        return []
    rows = ["| option | type | default | meaning |", "|---|---|---|---|"]
    rows += [f"| `{k}` | {o.type} | `{o.default!r}` | {o.help} |" for k, o in meta.options.items()]
    return ["**Options** (set under `rules:` in the config):", "", *rows, ""]


def render_rule(meta: RuleMeta, heading: str = "###") -> str:
    level = {"error": "error", "warning": "warning", "note": "notice"}[meta.severity]
    parts = [
        f"{heading} {meta.code} {meta.name}",
        "",
        f"{meta.summary} *Default severity: {level}.*" + ("" if meta.enabled else " *Off by default.*"),
        "",
        f"**Why.** {meta.why.strip()}",
        "",
        f"**Fix.** {meta.fix.strip()}" + (" `portal-lint --fix` does it for you." if meta.fixable else ""),
        "",
    ]
    enforces = describe(meta)
    if enforces:
        parts += [f"**Standard.** {enforces}", ""]
    if meta.yields_to:
        others = ", ".join(meta.yields_to)
        parts += [f"**Yields to.** {others}: where that rule reports the same node, this one is silent.", ""]
    if meta.source:
        parts += [f"**Mirrors.** {meta.source}", ""]
    parts += _options(meta)
    for rel, text in meta.files.items():
        parts += _example(f"With `{rel}`", rel, text)
    if meta.bad:
        parts += _example(f"Bad (`{meta.bad_path}`)", meta.bad_path, meta.bad)
    if meta.good:
        good = f"Good (`{meta.good_path}`)" if meta.good_path else "Good"
        parts += _example(good, meta.bad_path, meta.good)
    return "\n".join(parts)


def _example(title: str, path: str, text: str) -> list[str]:
    lang = "markdown" if path.endswith(".md") else "yaml"
    return [f"{title}:", "", f"```{lang}", text.rstrip("\n"), "```", ""]


def family_titles() -> dict[str, str]:
    out = {}
    for path in sorted(rules_dir().glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        out[data["family"]] = data.get("title", data["family"])
    return out


def render_all() -> str:
    metas = load_metadata()
    titles = family_titles()
    lines = [HEADER, "# portal-lint rules", "", "| code | name | severity | summary |", "|---|---|---|---|"]
    lines += [
        f"| [{m.code}](#{m.code.lower()}-{m.name}) | {m.name} | {m.severity} | {m.summary} |"
        for m in metas.values()
    ]
    lines.append("")
    for family, group in groupby(metas.values(), key=lambda m: m.family):
        lines += [f"## {family}: {titles.get(family, family)}", ""]
        lines += [render_rule(m) for m in group]
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    from pathlib import Path

    (Path(__file__).resolve().parent.parent / "docs" / "rules.md").write_text(render_all(), encoding="utf-8")

"""`portal-lint policy [PATH]`: the standards in force for a repository, the rules that enforce
each, their parameters, and where every part came from (AGENTS.md:line, built-in, config)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from portal_lint.commands import Parser
from portal_lint.commands._repo import repo_and_config
from portal_lint.config import Config
from portal_lint.policy import (
    BUILTIN,
    STANDARDS,
    Policy,
    Source,
    StandardDef,
    disabled_by_config,
    gated_codes,
    load_policy,
    param_source,
)
from portal_lint.registry import load_metadata
from portal_lint.selection import select_rules


def _rules(codes: tuple[str, ...], gated: bool, cfg: Config, enabled: set[str]) -> list[dict[str, Any]]:
    metas = load_metadata()
    out = []
    for code in codes:
        meta = metas[code]
        name = meta.name
        cause = disabled_by_config(cfg, meta.code, enabled)
        out.append(
            {
                "name": name,
                "code": meta.code,
                "severity": cfg.get("severity").get(meta.code)
                or cfg.get("severity").get(name)
                or meta.severity,
                "switched_on_by_standard": gated,
                "disabled_by_config": f"{cause[0]} {cause[1]}".strip() if cause else None,
            }
        )
    return out


def _source(src: Source) -> dict[str, Any]:
    return {"label": src.label, "path": src.path, "line": src.line or None}


def _standard(
    d: StandardDef,
    src: Source | None,
    cfg: Config,
    enabled: set[str],
    policy: Policy,
    own: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One standard as the report shows it; `own`: a vocabulary check's parameters, as its bullet
    gave them (they belong to that check alone)."""
    params = {}
    metas = load_metadata()
    for code in d.switches:
        meta = metas[code]
        for option in meta.options:
            if own is not None:
                if option in own and src is not None:
                    params[f"{meta.code}.{option}"] = {"value": own[option], "source": src.label}
                continue
            value, origin = param_source(cfg, meta, option, policy)
            params[f"{meta.code}.{option}"] = {"value": value, "source": origin.label}
    return {
        "key": d.key,
        "title": d.title,
        "text": src.text if src is not None else d.builtin,
        "in_force": src is not None,
        "source": _source(src) if src is not None else None,
        "rules": _rules(d.switches, True, cfg, enabled) + _rules(d.also, False, cfg, enabled),
        "parameters": params,
    }


def policy_report(root: Path, cfg: Config) -> dict[str, Any]:
    """The policy in force for the repository at `root`, as `portal-lint policy --format json` prints it."""
    policy = load_policy(root, cfg)
    enabled = set(select_rules(cfg, (), ()))
    by_key = {d.key: d for d in STANDARDS}
    standards = []
    unenforced = []
    if policy.sections:
        for bullet in policy.bullets:
            for key in bullet.standards:
                d = by_key[key]
                if not d.multiple:
                    standards.append(_standard(d, bullet.source, cfg, enabled, policy))
                    continue
                for std in policy.standards.values():
                    if std.definition is d and std.source == bullet.source:
                        standards.append(_standard(d, bullet.source, cfg, enabled, policy, std.params))
            if bullet.normative and not bullet.enforced:
                unenforced.append({"text": bullet.text, "source": _source(bullet.source)})
    else:
        for d in STANDARDS:
            if d.builtin is not None:
                builtin = policy.standards.get(d.key)
                standards.append(_standard(d, builtin.source if builtin else None, cfg, enabled, policy))
    for std in policy.standards.values():  # config's `standards` entries
        if not std.source.is_bullet and std.source.label != BUILTIN:
            own = std.params if std.definition.multiple else None
            standards.append(_standard(std.definition, std.source, cfg, enabled, policy, own))
    named = {r["code"] for s in standards for r in s["rules"]}
    always = [
        {"code": m.code, "name": m.name}
        for m in load_metadata().values()
        if m.family in ("REF", "STD") and m.code not in gated_codes() and m.code not in named
    ]
    return {
        "repository": str(root),
        "source": policy.origin,
        "sections": [_source(s) for s in policy.sections],
        "config": cfg.source,
        "standards": standards,
        "unenforced": unenforced,
        "always_on": always,
    }


def _rule_line(rule: dict[str, Any]) -> str:
    text = f"{rule['code']} {rule['name']} ({rule['severity']})"
    if rule["disabled_by_config"]:
        text += f" — switched off by config `{rule['disabled_by_config']}` (POL002)"
    return text


def render_text(report: dict[str, Any]) -> str:
    if report["sections"]:
        where = ", ".join(s["label"] for s in report["sections"])
        head = f"Policy for {report['repository']}: the standards section at {where}"
    else:
        head = (
            f"Policy for {report['repository']}: the built-in portal standards (no standards section found)"
        )
    lines = [head, f"Config: {report['config']}", ""]
    for std in report["standards"]:
        origin = std["source"]["label"] if std["source"] else BUILTIN
        lines.append(f"{origin}: {std['text']}")
        if not std["in_force"]:
            names = ", ".join(r["name"] for r in std["rules"])
            lines.append(f"    not enforced by default ({names}); write it in AGENTS.md to switch it on")
            continue
        lines.append(f"    standard {std['key']}: " + "; ".join(_rule_line(r) for r in std["rules"]))
        for option, p in std["parameters"].items():
            value = (", ".join(p["value"]) or "(any)") if isinstance(p["value"], list) else p["value"]
            lines.append(f"    {option} = {value}   (from {p['source']})")
    for bullet in report["unenforced"]:
        lines.append(f"{bullet['source']['label']}: {bullet['text']}")
        lines.append("    no rule enforces this (POL001)")
    if report["always_on"]:
        lines += [
            "",
            "Always on, whatever the policy: "
            + ", ".join(f"{r['code']} {r['name']}" for r in report["always_on"]),
        ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str]) -> int:
    p = Parser(prog="portal-lint policy", description="Show the policy in force and where it came from.")
    p.add_argument(
        "path", nargs="?", default=".", help="a folder of the repository (default: the current one)"
    )
    p.add_argument("--config", type=Path, help="config file (default: .portal-lint.yaml or pyproject.toml)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    args = p.parse_args(argv)
    found = repo_and_config(args.path, args.config)
    if found is None:
        return 2
    root, cfg = found
    report = policy_report(root, cfg)
    sys.stdout.write(json.dumps(report, indent=2) + "\n" if args.format == "json" else render_text(report))
    return 0

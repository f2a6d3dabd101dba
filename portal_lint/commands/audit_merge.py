"""`portal-lint audit merge SHARD.json... [-o FILE]`: one report from the reports of `--shard` runs.

The services of every shard, in one order (by ref, then repository folder, then name), and a
summary counted again from them: the same report one unsharded run writes, but for the time it
was made and the order of its services.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from portal_lint.commands import Parser
from portal_lint.commands.audit import AuditReport, Service, Summary, tally


def merge(reports: Sequence[AuditReport]) -> AuditReport:
    """Raises ValueError when the reports are not of one audit (another catalog or --repos)."""
    sources = {(r.summary.catalog, r.summary.repos) for r in reports}
    if len(sources) > 1:
        shown = "; ".join(f"catalog {c}, repos {r}" for c, r in sorted(sources, key=str))
        raise ValueError(f"the reports are of different audits ({shown}): merge the shards of one run")
    seen: dict[tuple[str, str, str], Service] = {}
    for report in reports:
        for service in report.services:
            key = (service.ref or "", service.repo or "", service.name)
            if key in seen and seen[key] != service:
                raise ValueError(f"`{service.ref or service.name}` is in two shards with different results")
            seen[key] = service
    services = [seen[key] for key in sorted(seen)]
    catalog, repos = sources.pop()
    counts = tally(services)
    summary = Summary(**counts, catalog=catalog, repos=repos, generated_at=datetime.now(UTC))
    return AuditReport(services=services, summary=summary)


def main(argv: Sequence[str]) -> int:
    p = Parser(
        prog="portal-lint audit merge",
        description="Join the JSON reports of `portal-lint audit --shard I/N` runs into one report, "
        "as an unsharded run writes it (services ordered by ref).",
    )
    p.add_argument("reports", nargs="+", type=Path, metavar="SHARD.json", help="a shard's report")
    p.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write the report here (default: stdout)"
    )
    args = p.parse_args(argv)
    reports: list[AuditReport] = []
    for path in args.reports:
        try:
            reports.append(AuditReport.model_validate_json(path.read_bytes()))
        except OSError as exc:
            print(f"portal-lint: {path}: cannot be read: {exc.strerror or exc}", file=sys.stderr)
            return 2
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            print(
                f"portal-lint: {path}: not a `portal-lint audit` report ({where}: {first['msg']}): "
                "merge the files the shards wrote with -o",
                file=sys.stderr,
            )
            return 2
    try:
        merged = merge(reports)
    except ValueError as exc:
        print(f"portal-lint: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(merged.model_dump(mode="json"), indent=None) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0

"""Check the portal-standard rules against the seeded corpus of ``../shared/gen_corpus.py``.

Two claims, measured:

* ``catalog/n1000``: every seeded ``bad_lifecycle`` error is reported at the manifest's line.
  Unknown values (``prod``, ``Production``, ``prodution``, ``live``, ``beta``, ``sunset``) are
  ``lifecycle-allowed``'s; an empty string is the kind schema's (CAT), so for those any rule
  at that line counts.
* ``catalog-clean/n1000``: no finding at error level (warnings such as ``techdocs-ref`` for
  ``dir:.`` without mkdocs.yml are expected: the generator writes no mkdocs.yml).

It also lists every STD/REF finding on ``catalog/n1000`` that is not at a seeded line, so a
false positive shows up as a count.

The corpus is ``benchmarks/.work/corpus`` when present; otherwise it is generated into a
temporary folder. Each ``repo-*`` folder gets an empty ``.git/`` so that it is a repository
of its own (cross-file rules would otherwise span the whole set).

Usage: ``python benchmarks/check_standards.py [--corpus DIR] [--json FILE]``; exit 1 when a
claim does not hold.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CACHED = PROJECT_ROOT / "benchmarks" / ".work" / "corpus"
SETS = ("catalog/n1000", "catalog-clean/n1000")
LIFECYCLE_RULE = "STD004"


def shared_dir() -> Path:
    env = os.environ.get("PORTAL_LINT_SHARED")
    return Path(env) if env else PROJECT_ROOT.parent / "shared"


def mark_repositories(corpus: Path) -> None:
    for name in SETS:
        for repo in (corpus / name).glob("repo-*"):
            (repo / ".git").mkdir(exist_ok=True)


def corpus_dir(given: Path | None, tmp: Path) -> Path:
    for candidate in (given, CACHED):
        if candidate is not None and all((candidate / s / "manifest.json").is_file() for s in SETS):
            return candidate.absolute()
    if given is not None:
        raise SystemExit(f"{given}: no {' or '.join(SETS)} manifest there")
    out = tmp / "corpus"
    gen = shared_dir() / "gen_corpus.py"
    print(f"generating the corpus with {gen} into {out} ...", file=sys.stderr)
    subprocess.run([sys.executable, str(gen), "--out", str(out)], check=True, capture_output=True)
    return out


def lint_set(corpus: Path, name: str) -> tuple[list[Any], float]:
    from portal_lint.engine import lint

    start = time.perf_counter()
    result = lint([str(corpus / name)], cwd=corpus)
    if result.internal_errors:
        raise SystemExit("internal errors:\n" + "\n".join(result.internal_errors[:10]))
    return result.diagnostics, time.perf_counter() - start


def check_seeded(corpus: Path) -> dict[str, Any]:
    manifest = json.loads((corpus / "catalog/n1000/manifest.json").read_text(encoding="utf-8"))
    diags, seconds = lint_set(corpus, "catalog/n1000")
    at = {(d.path, d.line, d.code) for d in diags}
    lines = {(d.path, d.line) for d in diags}
    lifecycle = [e for e in manifest["errors"] if e["category"] == "bad_lifecycle"]
    unknown = [e for e in lifecycle if e["variant"].startswith("unknown-value")]
    missed_unknown = [e for e in unknown if (e["path"], e["line"], LIFECYCLE_RULE) not in at]
    missed_any = [e for e in lifecycle if (e["path"], e["line"]) not in lines]
    seeded = {(e["path"], e["line"]) for e in manifest["errors"]}
    unseeded = Counter(
        f"{d.code} {d.severity}"
        for d in diags
        if d.code[:3] in ("STD", "REF") and (d.path, d.line) not in seeded
    )
    return {
        "files": manifest["files"],
        "seconds": round(seconds, 2),
        "bad_lifecycle": len(lifecycle),
        "bad_lifecycle_unknown_value": len(unknown),
        "unknown_value_reported_by_lifecycle_allowed": len(unknown) - len(missed_unknown),
        "bad_lifecycle_reported_at_line_by_any_rule": len(lifecycle) - len(missed_any),
        "missed": [f"{e['path']}:{e['line']} {e['variant']}" for e in missed_unknown + missed_any],
        "std_ref_findings_off_seeded_lines": dict(sorted(unseeded.items())),
    }


def check_clean(corpus: Path) -> dict[str, Any]:
    diags, seconds = lint_set(corpus, "catalog-clean/n1000")
    return {
        "seconds": round(seconds, 2),
        "errors": sum(d.severity == "error" for d in diags),
        "by_rule": dict(sorted(Counter(f"{d.code} {d.severity}" for d in diags).items())),
        "first_errors": [
            f"{d.path}:{d.line}: [{d.code}] {d.message}" for d in diags if d.severity == "error"
        ][:10],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--corpus", type=Path, help="corpus root (default: benchmarks/.work/corpus, else generated)"
    )
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = corpus_dir(args.corpus, Path(tmp))
        mark_repositories(corpus)
        report = {
            "corpus": str(corpus),
            "catalog/n1000": check_seeded(corpus),
            "catalog-clean/n1000": check_clean(corpus),
        }
    seeded, clean = report["catalog/n1000"], report["catalog-clean/n1000"]
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    ok = not seeded["missed"] and clean["errors"] == 0
    print(
        f"bad_lifecycle at the manifest line: {seeded['bad_lifecycle_reported_at_line_by_any_rule']}/"
        f"{seeded['bad_lifecycle']} (unknown values by {LIFECYCLE_RULE}: "
        f"{seeded['unknown_value_reported_by_lifecycle_allowed']}/{seeded['bad_lifecycle_unknown_value']}); "
        f"errors on catalog-clean/n1000: {clean['errors']} -> {'OK' if ok else 'FAILED'}",
        file=sys.stderr,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

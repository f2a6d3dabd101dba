"""Issue 3's corpus check: every Backstage-invalid seeded error is caught at its line, the
clean set gives no error, and the whole n5000 set is linted in one process, next to zatalog.

1. Lints ``catalog/n1000`` in-process (``portal_lint.engine.lint``) and, for each seeded
   error whose category Backstage rejects or cannot parse — name chars, name length,
   unknown kind, malformed YAML, empty lifecycle (``bad_lifecycle`` variant ``empty-string``;
   unknown lifecycle values belong to the lifecycle standard) and missing owner — checks that
   an error-level finding sits in the manifest's file at the manifest's line.
2. Counts error-level findings on ``catalog-clean/n1000`` (must be 0).
3. Times ``catalog/n5000`` and ``catalog-clean/n5000`` in one fresh Python process each (wall
   time including start-up; peak RSS of that process from ``getrusage``), and
   ``zatalog validate --root … --recursive`` on the same sets (its venv from ``peers.py``).

Usage: ``python benchmarks/check_corpus.py [--skip-timing]``; exit 1 when a seeded error is
missed or the clean set has an error.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from corpus import PROJECT_ROOT, ensure_corpus, load_manifest
from peers import PEER_SPECS, ensure_peer

from portal_lint.engine import lint

# manifest category → label; bad_lifecycle only for its Backstage-invalid variant.
CATEGORIES = {
    "invalid_name_chars": "name chars",
    "name_too_long": "name length",
    "unknown_kind": "unknown kind",
    "malformed_yaml": "malformed YAML",
    "bad_lifecycle": "empty lifecycle",
    "missing_owner": "missing owner",
}
EMPTY_LIFECYCLE = "empty-string"

_CHILD = """
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from portal_lint.engine import lint
result = lint([sys.argv[1]], cwd=Path(sys.argv[2]))
print(json.dumps({"lint_s": time.perf_counter() - t0, "files": result.files,
                  "errors": result.count("error"), "findings": len(result.diagnostics),
                  "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def seeded_errors(manifest: dict[str, object]) -> list[dict[str, object]]:
    errors = manifest["errors"]
    assert isinstance(errors, list)
    return [
        e
        for e in errors
        if e["category"] in CATEGORIES
        and (e["category"] != "bad_lifecycle" or e["variant"] == EMPTY_LIFECYCLE)
    ]


def check_recall(corpus: Path, set_name: str) -> tuple[Counter[str], Counter[str], list[str]]:
    """(caught per category, total per category, one line per miss)."""
    result = lint([set_name], cwd=corpus)
    at = {(d.path, d.line) for d in result.diagnostics if d.severity == "error"}
    caught: Counter[str] = Counter()
    total: Counter[str] = Counter()
    misses: list[str] = []
    for err in seeded_errors(load_manifest(corpus, set_name)):
        label = CATEGORIES[str(err["category"])]
        total[label] += 1
        if (err["path"], err["line"]) in at:
            caught[label] += 1
        else:
            near = [f"{d.line}:{d.code}" for d in result.diagnostics if d.path == err["path"]]
            misses.append(f"  missed {label} ({err['variant']}) at {err['path']}:{err['line']}; found {near}")
    return caught, total, misses


def clean_errors(corpus: Path, set_name: str) -> list[str]:
    result = lint([set_name], cwd=corpus)
    return [f"  {d.path}:{d.line}: {d.code} {d.message}" for d in result.diagnostics if d.severity == "error"]


@dataclass
class Timing:
    tool: str
    set_name: str
    wall_s: float
    peak_rss_mib: float
    exit_code: int
    note: str = ""


def _measure(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS MiB of that child alone, exit code, stdout and stderr)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    out = proc.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, unlike RUSAGE_CHILDREN
    wall = time.perf_counter() - t0
    proc.stdout.close()
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), out


def time_portal_lint(corpus: Path, set_name: str) -> Timing:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    wall, rss, code, out = _measure([sys.executable, "-c", _CHILD, set_name, str(corpus)], corpus, env)
    data = json.loads(out.strip().splitlines()[-1])
    note = f"{data['files']} files, {data['errors']} errors, {data['findings']} findings"
    return Timing("portal-lint", set_name, wall, rss, code, note)


def time_zatalog(exe: str, corpus: Path, set_name: str) -> Timing:
    wall, rss, code, out = _measure([exe, "validate", "--root", set_name, "--recursive"], corpus)
    lines = [line for line in out.splitlines() if line.strip()]
    note = f"{len(lines)} output lines" + (
        "; stopped at the first invalid YAML" if "Invalid YAML" in out else ""
    )
    return Timing("zatalog", set_name, wall, rss, code, note)


def zatalog_exe() -> tuple[str | None, str]:
    spec = next(s for s in PEER_SPECS if s.name == "zatalog")
    peer = ensure_peer(spec)
    return peer.executable, peer.version or peer.error or "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skip-timing", action="store_true", help="only the recall and clean-set checks")
    args = parser.parse_args(argv)
    corpus = ensure_corpus()
    ok = True

    caught, total, misses = check_recall(corpus, "catalog/n1000")
    print("catalog/n1000 — seeded Backstage-invalid errors reported at the manifest's line (error level):")
    for label in CATEGORIES.values():
        print(f"  {label:16s} {caught[label]:3d}/{total[label]:3d}")
    print(f"  {'all':16s} {sum(caught.values()):3d}/{sum(total.values()):3d}")
    if misses:
        ok = False
        print("\n".join(misses))

    errors = clean_errors(corpus, "catalog-clean/n1000")
    print(f"catalog-clean/n1000 — error-level findings: {len(errors)}")
    if errors:
        ok = False
        print("\n".join(errors[:20]))

    if not args.skip_timing:
        exe, version = zatalog_exe()
        rows: list[Timing] = []
        for set_name in ("catalog/n5000", "catalog-clean/n5000"):
            rows.append(time_portal_lint(corpus, set_name))
            if exe is not None:
                rows.append(time_zatalog(exe, corpus, set_name))
        print(f"one process per run, wall time includes start-up (zatalog {version}):")
        print(f"  {'tool':12s} {'set':20s} {'wall s':>7s} {'peak RSS MiB':>13s} {'exit':>4s}  note")
        for r in rows:
            cells = f"{r.tool:12s} {r.set_name:20s} {r.wall_s:7.2f} {r.peak_rss_mib:13.1f} {r.exit_code:4d}"
            print(f"  {cells}  {r.note}")
        if exe is None:
            print(f"  zatalog unavailable: {version}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

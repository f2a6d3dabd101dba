"""SKILL.md acceptance check and side-by-side run: portal-lint, skills-ref and agnix on the corpus.

What it checks (issue 6): on ``skills/n1000`` of ``../shared/gen_corpus.py`` every seeded error
is reported at the manifest's line, and ``skills-clean/n1000`` gives no error. It then runs the
peers on the same sets and times everything:

* portal-lint: ``portal-lint --format json SET`` (one process for the whole set);
* agnix: ``agnix --format json SET`` (one process; the binary from the PyPI wheel);
* skills-ref: ``agentskills validate DIR``, one process per skill (it validates one skill a
  call and reports no line numbers, so its line recall is 0 by construction).

Peers are taken from ``benchmarks/.work/venvs/`` (``python benchmarks/peers.py`` installs them);
a missing peer is reported as such, not silently dropped. Timings are wall-clock medians over
``--runs`` runs (skills-ref: one pass over the 1000 skills) plus the CPU time of the run; the
per-file cost is also measured in-process, without interpreter start-up and discovery.

Usage: ``python benchmarks/check_skills.py [--runs 5] [--json out.json] [--no-peers] [--strict]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from corpus import PROJECT_ROOT, WORK_DIR, ensure_corpus, load_manifest

VENVS = WORK_DIR / "venvs"
SET, CLEAN = "skills/n1000", "skills-clean/n1000"


@dataclass
class Finding:
    path: str  # relative to the corpus root
    line: int | None
    level: str  # error | warning | note
    code: str


@dataclass
class Outcome:
    tool: str
    version: str
    at_line: int = 0  # seeded errors reported at the manifest's line
    in_file: int = 0  # seeded errors with any finding in their file
    seeded: int = 0
    other_errors: int = 0  # error-level findings in files without a seeded error
    clean_errors: int = 0  # error-level findings on the clean set
    findings: int = 0
    wall_ms: float = 0.0  # median over runs, whole set
    wall_min_ms: float = 0.0
    cpu_ms: float = 0.0  # user + system of the child processes, one run
    note: str = ""
    by_category: dict[str, str] = field(default_factory=dict)


def timed(
    cmd: list[str], cwd: Path, runs: int
) -> tuple[subprocess.CompletedProcess[str], list[float], float]:
    """The last run's result, every run's wall time (ms) and the CPU time (ms) of one run."""
    walls: list[float] = []
    cpu = 0.0
    proc: subprocess.CompletedProcess[str] | None = None
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
        walls.append((time.perf_counter() - start) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    assert proc is not None
    return proc, walls, cpu


def score(out: Outcome, corpus: Path, found: list[Finding], clean: list[Finding]) -> Outcome:
    manifest = load_manifest(corpus, SET)
    errors = manifest["errors"]
    assert isinstance(errors, list)
    by_file: dict[str, list[Finding]] = {}
    for f in found:
        by_file.setdefault(f.path, []).append(f)
    seeded_files = {e["path"] for e in errors}
    per_cat: dict[str, list[int]] = {}
    for e in errors:
        hits = by_file.get(e["path"], [])
        at_line = any(f.line == e["line"] for f in hits)
        out.at_line += at_line
        out.in_file += bool(hits)
        tally = per_cat.setdefault(e["category"], [0, 0])
        tally[0] += at_line
        tally[1] += 1
    out.seeded = len(errors)
    out.other_errors = sum(f.level == "error" and f.path not in seeded_files for f in found)
    out.clean_errors = sum(f.level == "error" for f in clean)
    out.findings = len(found)
    out.by_category = {k: f"{a}/{n}" for k, (a, n) in sorted(per_cat.items())}
    return out


# ---------------------------------------------------------------- tools


def portal_lint_cmd() -> list[str]:
    exe = VENVS / "portal-lint" / "bin" / "portal-lint"
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "portal_lint"]


def run_portal_lint(corpus: Path, runs: int) -> tuple[Outcome, list[Finding], list[Finding]]:
    def findings(set_name: str, n: int) -> tuple[list[Finding], list[float], float]:
        proc, walls, cpu = timed([*portal_lint_cmd(), "--format", "json", set_name], corpus, n)
        data = json.loads(proc.stdout)
        levels = {"error": "error", "warning": "warning", "note": "note"}
        got = [Finding(d["path"], d["line"], levels[d["severity"]], d["code"]) for d in data["findings"]]
        return got, walls, cpu

    version = subprocess.run([*portal_lint_cmd(), "--version"], capture_output=True, text=True).stdout.strip()
    found, walls, cpu = findings(SET, runs)
    clean, _, _ = findings(CLEAN, 1)
    out = Outcome(
        "portal-lint", version, wall_ms=statistics.median(walls), wall_min_ms=min(walls), cpu_ms=cpu
    )
    return score(out, corpus, found, clean), found, clean


def run_agnix(corpus: Path, runs: int) -> Outcome | None:
    exe = VENVS / "agnix" / "bin" / "agnix"
    if not exe.is_file():
        return None
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip()

    def findings(set_name: str, n: int) -> tuple[list[Finding], list[float], float]:
        proc, walls, cpu = timed([str(exe), "--format", "json", set_name], corpus, n)
        data = json.loads(proc.stdout)
        levels = {"error": "error", "warning": "warning", "info": "note"}
        got = [
            Finding(d["file"], d.get("line"), levels.get(d["level"], d["level"]), d["rule"])
            for d in data["diagnostics"]
            if d.get("file")
        ]
        return got, walls, cpu

    found, walls, cpu = findings(SET, runs)
    clean, _, _ = findings(CLEAN, 1)
    out = Outcome("agnix", version, wall_ms=statistics.median(walls), wall_min_ms=min(walls), cpu_ms=cpu)
    return score(out, corpus, found, clean)


def run_skills_ref(corpus: Path) -> Outcome | None:
    exe = VENVS / "skills-ref" / "bin" / "agentskills"
    if not exe.is_file():
        return None
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip()

    def findings(set_name: str) -> tuple[list[Finding], float, float]:
        got: list[Finding] = []
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        for skill in sorted(p for p in (corpus / set_name).iterdir() if p.is_dir() and p.name != ".git"):
            proc = subprocess.run(
                [str(exe), "validate", str(skill)], capture_output=True, text=True, check=False
            )
            for line in proc.stderr.splitlines():
                if line.startswith("  - "):
                    got.append(Finding(f"{set_name}/{skill.name}/SKILL.md", None, "error", line[4:]))
        wall = (time.perf_counter() - start) * 1000
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return got, wall, (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000

    found, wall, cpu = findings(SET)
    clean, _, _ = findings(CLEAN)
    out = Outcome(
        "skills-ref",
        version,
        wall_ms=wall,
        wall_min_ms=wall,
        cpu_ms=cpu,
        note="one process per skill; reports no line numbers",
    )
    return score(out, corpus, found, clean)


# ---------------------------------------------------------------- single file and in-process cost


def single_file_costs(corpus: Path, runs: int) -> dict[str, float]:
    """Median wall ms: interpreter floor, `import yaml`, portal-lint on one SKILL.md."""
    one = next((corpus / "skills" / "n1").glob("*/SKILL.md"))
    exe = portal_lint_cmd()
    python = str(Path(exe[0]).with_name("python")) if exe[0].endswith("portal-lint") else sys.executable
    cases: dict[str, list[str]] = {
        "python -c pass": [python, "-c", "pass"],
        "python -c 'import yaml'": [python, "-c", "import yaml"],
        "portal-lint one SKILL.md": [*exe, str(one.relative_to(corpus))],
    }
    if (VENVS / "agnix" / "bin" / "agnix").is_file():
        cases["agnix one SKILL.md"] = [str(VENVS / "agnix" / "bin" / "agnix"), str(one.relative_to(corpus))]
    out = {}
    for label, cmd in cases.items():
        timed(cmd, corpus, 2)  # warm the page cache
        out[label] = statistics.median(timed(cmd, corpus, runs)[1])
    return out


_IN_PROCESS = """
import json, time
from pathlib import Path
from portal_lint.discover import Discovery
from portal_lint.engine import lint
lint(["skills/n1"])  # imports and rule binding, outside the measurement
best = {}
for _ in range(RUNS):
    t0 = time.perf_counter(); lint(["SET"]); t1 = time.perf_counter()
    Discovery(Path.cwd()).targets(["SET"]); t2 = time.perf_counter()
    for k, v in (("lint", t1 - t0), ("discovery", t2 - t1)):
        best[k] = min(best.get(k, 1e9), v * 1000)
print(json.dumps(best))
"""


def in_process(corpus: Path, runs: int) -> dict[str, float]:
    exe = portal_lint_cmd()
    python = str(Path(exe[0]).with_name("python")) if exe[0].endswith("portal-lint") else sys.executable
    code = _IN_PROCESS.replace("RUNS", str(runs)).replace("SET", SET)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.run(
        [python, "-c", code], cwd=corpus, capture_output=True, text=True, check=True, env=env
    )
    got: dict[str, float] = json.loads(proc.stdout)
    got["per SKILL.md (lint - discovery) / 1000"] = (got["lint"] - got["discovery"]) / 1000
    return got


# ---------------------------------------------------------------- report


def table(rows: list[Outcome]) -> str:
    head = [
        "tool",
        "at line",
        "in file",
        "other errors",
        "clean errors",
        "findings",
        "wall ms (median)",
        "cpu ms",
    ]
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for r in rows:
        lines.append(
            " | ".join(
                [
                    f"{r.tool} {r.version.split()[-1] if r.version else ''}".strip(),
                    f"{r.at_line}/{r.seeded}",
                    f"{r.in_file}/{r.seeded}",
                    str(r.other_errors),
                    str(r.clean_errors),
                    str(r.findings),
                    f"{r.wall_ms:.0f} (min {r.wall_min_ms:.0f})",
                    f"{r.cpu_ms:.0f}",
                ]
            )
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="timed runs per measurement (default 5)")
    ap.add_argument("--no-peers", action="store_true", help="only portal-lint")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument(
        "--strict", action="store_true", help="exit 1 unless portal-lint catches all at the line, clean 0"
    )
    args = ap.parse_args(argv)
    corpus = ensure_corpus()
    mine, _, _ = run_portal_lint(corpus, args.runs)
    rows = [mine]
    missing: list[str] = []
    if not args.no_peers:
        peers: list[tuple[str, Callable[[], Outcome | None]]] = [
            ("agnix", lambda: run_agnix(corpus, args.runs)),
            ("skills-ref", lambda: run_skills_ref(corpus)),
        ]
        for name, run in peers:
            got = run()
            if got is None:
                missing.append(name)
            else:
                rows.append(got)
    costs = single_file_costs(corpus, max(args.runs * 2, 10))
    inproc = in_process(corpus, args.runs)
    print(f"corpus: {corpus} ({SET} with {mine.seeded} seeded errors; {CLEAN})\n")
    print(table(rows))
    for r in rows:
        print(f"  {r.tool}: at line by category {r.by_category}" + (f"; {r.note}" if r.note else ""))
    if missing:
        print(f"  not installed (run `python benchmarks/peers.py`): {', '.join(missing)}")
    print("\nsingle file, wall ms (median):")
    for k, v in costs.items():
        print(f"  {k}: {v:.1f}")
    print(f"\nin process, best of {args.runs}, ms: " + ", ".join(f"{k} {v:.2f}" for k, v in inproc.items()))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "tools": [asdict(r) for r in rows],
                    "single_file_ms": costs,
                    "in_process_ms": inproc,
                    "missing": missing,
                },
                indent=1,
            )
            + "\n"
        )
    ok = mine.at_line == mine.seeded and mine.clean_errors == 0 and mine.other_errors == 0
    verdict = "PASS" if ok else "FAIL"
    print(f"\nacceptance (every seeded error at its line, no other error, clean set clean): {verdict}")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())

"""One side-by-side benchmark run of portal-lint against its peers (issue 8).

    python benchmarks/run.py              # full run (~6 min): writes benchmarks/RESULTS.md and README figures
    python benchmarks/run.py --quick      # smoke size (n100 sets), < 1 minute once the venvs exist
    python benchmarks/run.py --profile    # also: cProfile of catalog/n5000, -X importtime of one file

Every command is first run once with its output captured (for recall, sanity checks and
peak memory), then timed with hyperfine (``-N --warmup 1 --runs N``) when it is installed,
or with the in-Python timer (median of N runs after one warm-up) when it is not. Medians
are compared as ratios inside one run because these 2-core machines are shared and noisy.

All tools run with the corpus root as their working directory, so their paths match the
manifests. Nothing here talks to the network except pip installing the peers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import pstats
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import corpus as corpus_mod
import peers as peers_mod
import recall as recall_mod
from corpus import BENCH_DIR, PROJECT_ROOT, WORK_DIR

RESULTS_FILE = BENCH_DIR / "RESULTS.md"
README_FILE = BENCH_DIR / "README.md"
START_MARK = "<!-- results:start -->"
END_MARK = "<!-- results:end -->"
CASE_KEYS = ("floor", "skill", "catalog", "skills", "recall")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


# ---------------------------------------------------------------- running one command


@dataclass
class Command:
    case: str
    tool: str
    argv: list[str] | None = None  # run directly (no shell) ...
    shell: str | None = None  # ... or through /bin/sh (loops)
    runs: int = 10  # timed runs; 0: the single captured run is the timing
    target: str = ""  # the corpus set or file it reads (for the table)
    unavailable: str | None = None  # why this row could not run
    env: dict[str, str] | None = None

    def display(self) -> str:
        if self.shell is not None:
            return self.shell
        return shlex.join(self.argv or [])


@dataclass
class Capture:
    rc: int
    stdout: str
    stderr: str
    wall_ms: float
    maxrss_mb: float | None  # largest single process (GNU time's %M, exact); None without it
    tree_mb: float  # largest sampled sum over the process tree (catches worker pools)


@dataclass
class Timing:
    median_ms: float
    min_ms: float
    max_ms: float
    runs: int
    timer: str


@dataclass
class Row:
    cmd: Command
    capture: Capture | None = None
    timing: Timing | None = None
    recall: recall_mod.Recall | None = None
    notes: list[str] = field(default_factory=list)


def _tree_rss_bytes(pid: int, skip_root: bool = False) -> int:
    """Sum of resident memory of ``pid`` and its descendants, read from /proc."""
    total = 0
    stack = [pid]
    seen: set[int] = set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            if not (skip_root and p == pid):
                with open(f"/proc/{p}/statm", encoding="ascii") as fh:
                    total += int(fh.read().split()[1]) * PAGE_SIZE
            with open(f"/proc/{p}/task/{p}/children", encoding="ascii") as fh:
                stack.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError, IndexError):
            continue  # the process ended between two reads
    return total


GNU_TIME = "/usr/bin/time"


def capture(cmd: Command, cwd: Path, timeout: float = 1800) -> Capture:
    """Run once, keeping the output, exit code, wall time and peak memory."""
    argv = cmd.argv if cmd.argv is not None else ["/bin/sh", "-c", cmd.shell or ""]
    # Peak RSS through GNU time, not through our own wait4: a child forked from this
    # harness starts life as a copy of it, and Linux carries that copy's high-water mark
    # over exec into ru_maxrss, so every command would "peak" at the harness's own ~25 MB.
    # time is a small C program, so what it forks starts small.
    wrapped = os.access(GNU_TIME, os.X_OK)
    fd, rss_name = tempfile.mkstemp(prefix="rss-")
    os.close(fd)
    if wrapped:
        argv = [GNU_TIME, "-f", "%M", "-o", rss_name, *argv]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=cmd.env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            # 10 ms is coarse for a 20 ms command, but such commands have one process and
            # wait4 measures them exactly; the sampler is there for process pools.
            while not done.is_set():
                peak[0] = max(peak[0], _tree_rss_bytes(proc.pid, skip_root=wrapped))
                done.wait(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        wall = (time.perf_counter() - start) * 1000
        done.set()
        sampler.join()
        out.seek(0)
        err.seek(0)
        maxrss: float | None = None
        rss_text = Path(rss_name).read_text(encoding="ascii", errors="replace").strip()
        Path(rss_name).unlink(missing_ok=True)
        if wrapped:
            # GNU time writes "Command exited with non-zero status N" before %M when N != 0.
            last = rss_text.splitlines()[-1] if rss_text else ""
            maxrss = int(last) / 1024 if last.isdigit() else None  # KiB
        return Capture(
            rc=rc,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            wall_ms=wall,
            maxrss_mb=maxrss,
            tree_mb=peak[0] / 2**20,
        )


class Timer:
    name = "python"

    def time(self, cmd: Command, cwd: Path) -> Timing:
        argv = cmd.argv if cmd.argv is not None else ["/bin/sh", "-c", cmd.shell or ""]

        def once() -> float:
            t0 = time.perf_counter()
            subprocess.run(
                argv, cwd=cwd, env=cmd.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
            )
            return (time.perf_counter() - t0) * 1000

        once()  # warm-up: page cache and .pyc files, as hyperfine's --warmup 1
        times = [once() for _ in range(cmd.runs)]
        return Timing(statistics.median(times), min(times), max(times), len(times), f"python x{len(times)}")


class HyperfineTimer(Timer):
    def __init__(self, path: str) -> None:
        self.path = path
        self.name = f"hyperfine {peers_mod.hyperfine_version(path)}"

    def time(self, cmd: Command, cwd: Path) -> Timing:
        with tempfile.TemporaryDirectory() as tmp:
            export = Path(tmp) / "h.json"
            base = [self.path, "--warmup", "1", "--runs", str(cmd.runs), "--export-json", str(export)]
            # -i: linters exit 1 when they find something, which is the point of the corpus.
            base += ["-i", "--style", "basic", "--output", "null"]
            if cmd.argv is not None:
                base += ["-N", shlex.join(cmd.argv)]  # no shell: a shell adds ms to a 20 ms command
            else:
                base += [cmd.shell or ""]
            proc = subprocess.run(base, cwd=cwd, env=cmd.env, capture_output=True, text=True, check=False)
            if proc.returncode != 0 or not export.is_file():
                raise RuntimeError(f"hyperfine failed: {proc.stderr.strip()[-500:]}")
            res = json.loads(export.read_text(encoding="utf-8"))["results"][0]
        times = [t * 1000 for t in res["times"]]
        return Timing(res["median"] * 1000, min(times), max(times), len(times), f"hyperfine x{len(times)}")


# ---------------------------------------------------------------- the run


@dataclass
class Context:
    corpus: Path
    quick: bool
    pl: peers_mod.PortalLintEnv
    pl_error: str | None
    peers: dict[str, peers_mod.Peer]
    timer: Timer
    rows: list[Row] = field(default_factory=list)
    clean_counts: dict[tuple[str, str], recall_mod.CleanCount] = field(default_factory=dict)
    recalls: dict[tuple[str, str], recall_mod.Recall] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def runs(self, full: int, quick: int) -> int:
        return quick if self.quick else full


def _portal_lint_argv(ctx: Context, *paths: str) -> list[str]:
    return [ctx.pl.python, "-m", "portal_lint", *paths, "--format", "json", "--fail-on", "error"]


def _pl_cmd(ctx: Context, case: str, target: str, runs: int, tool: str = "portal-lint") -> Command:
    return Command(
        case,
        tool,
        _portal_lint_argv(ctx, target),
        runs=runs,
        target=target,
        unavailable="not measured: portal-lint is not runnable (see above)" if ctx.pl_error else None,
        env=ctx.pl.env,
    )


def _peer_cmd(ctx: Context, case: str, peer: str, argv_tail: list[str], runs: int, target: str) -> Command:
    p = ctx.peers.get(peer)
    if p is None or not p.ok:
        why = "skipped (--no-peers)" if p is None else f"not available: {p.error}"
        return Command(case, peer, None, runs=runs, target=target, unavailable=why)
    return Command(case, peer, [p.executable or "", *argv_tail], runs=runs, target=target)


def _skills_ref_loop(ctx: Context, case: str, set_name: str) -> Command:
    p = ctx.peers.get("skills-ref")
    tool = "skills-ref (one call per skill)"
    if p is None or not p.ok:
        return Command(case, tool, None, runs=0, target=set_name, unavailable="not available")
    # skills-ref validates one skill directory per call, so a pre-commit hook or CI job
    # would loop exactly like this; the glob skips the .git marker (a dot folder).
    loop = f'for d in {set_name}/*/; do {shlex.quote(p.executable or "")} validate "$d"; done'
    return Command(case, tool, shell=loop, runs=0, target=set_name)


_SKILLS_REF_LIB = """
import pathlib, sys
from skills_ref.validator import validate
for d in sorted(pathlib.Path(sys.argv[1]).iterdir()):
    if d.is_dir() and not d.name.startswith("."):
        errors = validate(d)
        if errors:
            print(f"Validation failed for {d}:", file=sys.stderr)
            for e in errors:
                print(f"  - {e}", file=sys.stderr)
        else:
            print(f"Valid skill: {d}")
"""


def _skills_ref_lib(ctx: Context, case: str, set_name: str, runs: int) -> Command:
    p = ctx.peers.get("skills-ref")
    tool = "skills-ref (library, one process)"
    if p is None or not p.ok:
        return Command(case, tool, None, runs=runs, target=set_name, unavailable="not available")
    return Command(case, tool, [p.python, "-c", _SKILLS_REF_LIB, set_name], runs=runs, target=set_name)


def execute(ctx: Context, cmd: Command) -> Row:
    row = Row(cmd)
    label = f"[{cmd.case}] {cmd.tool} {cmd.target}"
    if cmd.unavailable:
        print(f"{label}: {cmd.unavailable}", file=sys.stderr)
        ctx.rows.append(row)
        return row
    print(f"{label}: capture ...", file=sys.stderr, flush=True)
    row.capture = capture(cmd, ctx.corpus)
    if cmd.runs > 0:
        # Bound each command to about a minute (15 s in --quick), never fewer than 3 runs:
        # a tool that takes 20 s a run would otherwise stretch the run to an hour.
        budget_ms = (15 if ctx.quick else 60) * 1000
        cmd.runs = max(min(3, cmd.runs), min(cmd.runs, int(budget_ms / max(row.capture.wall_ms, 1.0))))
        print(f"{label}: timing x{cmd.runs} ({ctx.timer.name.split()[0]}) ...", file=sys.stderr, flush=True)
        try:
            row.timing = ctx.timer.time(cmd, ctx.corpus)
        except RuntimeError as exc:
            row.notes.append(str(exc))
            row.timing = Timer().time(cmd, ctx.corpus)
    else:
        w = row.capture.wall_ms
        row.timing = Timing(w, w, w, 1, "1 run")
    ctx.rows.append(row)
    return row


def _findings(ctx: Context, row: Row, set_name: str) -> list[recall_mod.Finding] | None:
    """Normalised findings of a captured row, or None (with a note) when unreadable."""
    cap = row.capture
    if cap is None:
        return None
    tool = row.cmd.tool.split(" ")[0]
    root = ctx.corpus
    try:
        if tool == "portal-lint":
            if cap.rc not in (0, 1):
                raise recall_mod.ParseError(f"exit {cap.rc}: {_tail(cap.stderr)}")
            return recall_mod.parse_portal_lint(cap.stdout, root, root)
        if tool == "agnix":
            return recall_mod.parse_agnix(cap.stdout, root, root)
        if tool == "skills-ref":
            return recall_mod.parse_skills_ref(cap.stdout + "\n" + cap.stderr, root, root)
        if tool == "zatalog":
            index = recall_mod.zatalog_entity_index(root / set_name, root)
            return recall_mod.parse_zatalog(cap.stdout + "\n" + cap.stderr, index)
    except recall_mod.ParseError as exc:
        row.notes.append(f"output unreadable: {exc}")
        return None
    return None


def _tail(text: str, n: int = 300) -> str:
    text = text.strip()
    return text if len(text) <= n else "…" + text[-n:]


def evaluate(ctx: Context, row: Row, set_name: str) -> None:
    """Attach recall (seeded sets) or the clean-set error count, plus sanity notes."""
    findings = _findings(ctx, row, set_name)
    if findings is None:
        return
    tool = row.cmd.tool
    cap = row.capture
    assert cap is not None
    if tool == "portal-lint":
        try:
            files = json.loads(cap.stdout)["summary"]["files"]
        except (ValueError, KeyError, TypeError):
            files = None
        expected = len(corpus_mod.set_files(ctx.corpus, set_name)) if (ctx.corpus / set_name).is_dir() else 1
        if files is not None and files < expected:
            row.notes.append(f"linted only {files} of {expected} files")
    if tool.startswith("zatalog"):
        aborted = [f for f in findings if f.kind == "parse" and f.path is None]
        if aborted:
            row.notes.append(
                "stopped at the first unparsable file (`Error: Invalid YAML`, no file named): "
                f"{sum(f.kind == 'check' for f in findings)} schema problems reported before it"
            )
    if "-clean" in set_name:
        cc = recall_mod.count_clean(tool, findings)
        ctx.clean_counts[(tool, set_name)] = cc
        return
    manifest = corpus_mod.load_manifest(ctx.corpus, set_name)
    if recall_mod.seeded_errors(manifest):
        row.recall = recall_mod.score(tool, manifest, findings)
        ctx.recalls[(tool, set_name)] = row.recall


def zatalog_per_file(ctx: Context, set_name: str) -> None:
    """zatalog once per seeded file (``-f FILE``): its best case, since a tree run aborts."""
    p = ctx.peers.get("zatalog")
    tool = "zatalog (one call per seeded file)"
    if p is None or not p.ok:
        return
    manifest = corpus_mod.load_manifest(ctx.corpus, set_name)
    findings: list[recall_mod.Finding] = []
    print(f"[recall] {tool} {set_name} ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    for e in recall_mod.seeded_errors(manifest):
        path = str(e["path"])
        proc = subprocess.run(
            [p.executable or "", "validate", "-f", path],
            cwd=ctx.corpus,
            capture_output=True,
            text=True,
            check=False,
        )
        findings += recall_mod.parse_zatalog(proc.stdout + "\n" + proc.stderr, file=path)
    wall = (time.perf_counter() - t0) * 1000
    cmd = Command(
        "recall", tool, shell="for f in <seeded files>; do zatalog validate -f $f; done", target=set_name
    )
    row = Row(cmd, timing=Timing(wall, wall, wall, 1, "1 run"))
    row.recall = recall_mod.score(tool, manifest, findings)
    ctx.recalls[(tool, set_name)] = row.recall
    ctx.rows.append(row)


def probe_portal_lint(ctx: Context) -> str | None:
    """Why portal-lint cannot be benchmarked yet, or None when it answers in JSON."""
    target = _single_catalog(ctx.corpus)
    try:
        proc = subprocess.run(
            _portal_lint_argv(ctx, target),
            cwd=ctx.corpus,
            env=ctx.pl.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"portal-lint not runnable: {exc}"
    if proc.returncode not in (0, 1):
        return f"portal-lint not runnable (exit {proc.returncode}): {_tail(proc.stderr, 400)}"
    try:
        recall_mod.parse_portal_lint(proc.stdout, ctx.corpus, ctx.corpus)
    except recall_mod.ParseError as exc:
        # A crash with a traceback also exits 1 (Python's default), so show its last line.
        last = proc.stderr.strip().splitlines()[-1:] or [""]
        return f"portal-lint output unusable (exit {proc.returncode}): {exc}; stderr: {_tail(last[0], 300)}"
    return None


def _single_catalog(root: Path) -> str:
    return "catalog/n1/repo-00000/catalog-info.yaml"


def _single_skill(root: Path) -> str:
    return next(
        p for p in sorted((root / "skills/n1").iterdir()) if p.is_dir() and not p.name.startswith(".")
    ).name


def build_and_run(ctx: Context, cases: set[str]) -> None:
    small = ctx.runs(30, 10)
    c_size = "n100" if ctx.quick else "n5000"
    s_size = "n100" if ctx.quick else "n1000"

    if "floor" in cases:
        case = "one catalog file (catalog/n1), offline"
        target = _single_catalog(ctx.corpus)
        py = ctx.pl.python
        start = Command(
            case, "python -c pass (interpreter start)", [py, "-c", "pass"], runs=small, env=ctx.pl.env
        )
        execute(ctx, start)
        floor = Command(
            case, 'python -c "import yaml" (floor)', [py, "-c", "import yaml"], runs=small, env=ctx.pl.env
        )
        execute(ctx, floor)
        row = execute(ctx, _pl_cmd(ctx, case, target, small))
        evaluate(ctx, row, "catalog/n1")

    if "skill" in cases:
        case = "one SKILL.md (skills/n1)"
        skill = f"skills/n1/{_single_skill(ctx.corpus)}"
        evaluate(ctx, execute(ctx, _pl_cmd(ctx, case, f"{skill}/SKILL.md", small)), "skills/n1")
        evaluate(
            ctx,
            execute(ctx, _peer_cmd(ctx, case, "skills-ref", ["validate", skill], small, skill)),
            "skills/n1",
        )
        evaluate(
            ctx,
            execute(
                ctx, _peer_cmd(ctx, case, "agnix", ["--format", "json", f"{skill}/SKILL.md"], small, skill)
            ),
            "skills/n1",
        )

    if "catalog" in cases:
        for family in ("catalog", "catalog-clean"):
            set_name = f"{family}/{c_size}"
            case = f"{set_name}, one command"
            zruns = ctx.runs(3 if family == "catalog-clean" else 5, 3)
            evaluate(ctx, execute(ctx, _pl_cmd(ctx, case, set_name, ctx.runs(10, 5))), set_name)
            if family == "catalog":  # what the process pool buys: the same run in one process
                one = _pl_cmd(ctx, case, set_name, ctx.runs(5, 3), tool="portal-lint, PORTAL_LINT_JOBS=1")
                execute(ctx, replace(one, env={**ctx.pl.env, "PORTAL_LINT_JOBS": "1"}))
            zcmd = _peer_cmd(
                ctx, case, "zatalog", ["validate", "--root", set_name, "--recursive"], zruns, set_name
            )
            evaluate(ctx, execute(ctx, zcmd), set_name)

    if "skills" in cases:
        for family in ("skills", "skills-clean"):
            set_name = f"{family}/{s_size}"
            case = set_name
            evaluate(ctx, execute(ctx, _pl_cmd(ctx, case, set_name, ctx.runs(10, 5))), set_name)
            acmd = _peer_cmd(ctx, case, "agnix", ["--format", "json", set_name], ctx.runs(10, 5), set_name)
            evaluate(ctx, execute(ctx, acmd), set_name)
            evaluate(ctx, execute(ctx, _skills_ref_lib(ctx, case, set_name, 3)), set_name)
            if family == "skills":
                # The loop costs a Python start-up per skill (~1.5-3 min for n1000); on the
                # clean twin the library row, which calls the same validate(), gives the count.
                evaluate(ctx, execute(ctx, _skills_ref_loop(ctx, case, set_name)), set_name)

    if "recall" in cases:
        # catalog/n1000 is the set issue 3 names; in --quick the n100 rows above already
        # carry recall, so only zatalog's per-file best case is added.
        if not ctx.quick:
            for family in ("catalog", "catalog-clean"):
                set_name = f"{family}/n1000"
                case = f"recall {set_name}"
                evaluate(ctx, execute(ctx, _pl_cmd(ctx, case, set_name, 0)), set_name)
                zcmd = _peer_cmd(
                    ctx, case, "zatalog", ["validate", "--root", set_name, "--recursive"], 0, set_name
                )
                evaluate(ctx, execute(ctx, zcmd), set_name)
        zatalog_per_file(ctx, "catalog/n100" if ctx.quick else "catalog/n1000")


# ---------------------------------------------------------------- profile


HEAVY_MODULES = ("pydantic", "httpx", "ruamel", "markdown_it", "jsonschema", "rich", "requests")


def _importtime(ctx: Context, argv: list[str]) -> list[tuple[int, int, int, str]]:
    """(self µs, cumulative µs, depth, module) rows of ``python -X importtime``."""
    proc = subprocess.run(
        [ctx.pl.python, "-X", "importtime", *argv],
        cwd=ctx.corpus,
        env=ctx.pl.env,
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S.*)$", line)
        if m:
            rows.append((int(m.group(1)), int(m.group(2)), (len(m.group(3)) - 1) // 2, m.group(4).strip()))
    return rows


def _total(rows: list[tuple[int, int, int, str]]) -> int:
    """Cumulative µs of the top-level imports."""
    return sum(r[1] for r in rows if r[2] == 0) or 10**12  # no rows: never the quickest


def run_profile(ctx: Context) -> str:
    """cProfile of catalog/n5000 (n100 in --quick) and -X importtime of one file; returns Markdown."""
    set_name = "catalog/n100" if ctx.quick else "catalog/n5000"
    prof_out = WORK_DIR / "profile.out"
    prof_txt = WORK_DIR / "profile.txt"
    imp_txt = WORK_DIR / "importtime.txt"
    argv = [
        ctx.pl.python,
        "-m",
        "cProfile",
        "-o",
        str(prof_out),
        "-m",
        "portal_lint",
        set_name,
        "--format",
        "json",
    ]
    print(f"[profile] cProfile portal-lint {set_name} ...", file=sys.stderr, flush=True)
    # One process, so that cProfile sees all the work (a pool's workers are invisible to it).
    env = {**ctx.pl.env, "PORTAL_LINT_JOBS": "1"}
    proc = subprocess.run(argv, cwd=ctx.corpus, env=env, capture_output=True, text=True, check=False)
    md = ["### Profile", ""]
    if proc.returncode not in (0, 1) or not prof_out.is_file():
        md.append(f"cProfile run failed (exit {proc.returncode}): `{_tail(proc.stderr, 300)}`")
        return "\n".join(md)
    buf = io.StringIO()
    buf.write(f"# python -m cProfile -m portal_lint {set_name} --format json   (cwd: corpus root)\n")
    buf.write(
        "# PORTAL_LINT_JOBS=1: one process, so the profile holds all the work (the timed runs use a pool).\n"
    )
    stats = pstats.Stats(str(prof_out), stream=buf)
    stats.strip_dirs().sort_stats("cumulative").print_stats(25)
    prof_txt.write_text(buf.getvalue(), encoding="utf-8")
    md.append(
        f"`python -m cProfile -m portal_lint {set_name}`: top 25 cumulative entries in `{prof_txt.name}`:"
    )
    md += ["", "```", *_pstats_table(buf.getvalue(), 12), "```", ""]

    single = _single_catalog(ctx.corpus)
    print("[profile] -X importtime ...", file=sys.stderr, flush=True)
    # One importtime sample on a shared machine can be 3x another: keep the quickest of 5.
    rows = min(
        (_importtime(ctx, ["-m", "portal_lint", single, "--format", "json"]) for _ in range(5)), key=_total
    )
    floor_rows = min((_importtime(ctx, ["-c", "import yaml"]) for _ in range(5)), key=_total)
    total = _total(rows)
    floor_total = _total(floor_rows)
    heavy = sorted({r[3].split(".")[0] for r in rows if r[3].split(".")[0] in HEAVY_MODULES})
    top = sorted(rows, key=lambda r: -r[1])[:25]
    lines = [
        f"# python -X importtime -m portal_lint {single}",
        f"# all top-level imports: {total} µs cumulative",
    ]
    lines += [f"# floor `import yaml` (with site): {floor_total} µs", "# cumulative_us  self_us  module"]
    lines += [f"{c:12d} {s:8d}  {'  ' * d}{name}" for s, c, d, name in top]
    imp_txt.write_text("\n".join(lines) + "\n", encoding="utf-8")
    md.append(
        f"`python -X importtime` of one catalog file (quickest of 5): {total / 1000:.1f} ms of imports "
        f"(the floor's `import yaml` with site start-up: {floor_total / 1000:.1f} ms). "
        f"Heavy modules imported on this path: {', '.join(heavy) if heavy else 'none'}. Top by cumulative µs:"
    )
    md += ["", "```", *lines[4:19], "```", ""]

    # importtime covers imports only; what the one-file run spends after them (rule
    # metadata, config lookup, discovery) shows in a cProfile sorted by own time.
    one_out = WORK_DIR / "profile-single.out"
    one_txt = WORK_DIR / "profile-single.txt"
    argv = [
        ctx.pl.python,
        "-m",
        "cProfile",
        "-o",
        str(one_out),
        "-m",
        "portal_lint",
        single,
        "--format",
        "json",
    ]
    proc = subprocess.run(argv, cwd=ctx.corpus, env=ctx.pl.env, capture_output=True, text=True, check=False)
    if proc.returncode in (0, 1) and one_out.is_file():
        buf = io.StringIO()
        buf.write(f"# python -m cProfile -m portal_lint {single} --format json\n")
        pstats.Stats(str(one_out), stream=buf).strip_dirs().sort_stats("tottime").print_stats(25)
        one_txt.write_text(buf.getvalue(), encoding="utf-8")
        md.append(f"One catalog file under cProfile, by own time (top 25 in `{one_txt.name}`):")
        md += ["", "```", *_pstats_table(buf.getvalue(), 10), "```"]
    return "\n".join(md)


def _pstats_table(text: str, n: int) -> list[str]:
    lines = text.splitlines()
    try:
        start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    except StopIteration:
        return lines[:n]
    return [ln.rstrip() for ln in lines[start : start + n + 1]]


# ---------------------------------------------------------------- report


def _md_row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _fmt_ms(ms: float) -> str:
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.1f}"


def _recall_cell(r: recall_mod.Recall | None) -> str:
    if r is None:
        return ""
    return f"{r.at_line}/{r.seeded} (file {r.in_file})"


def _portal_lint_row(ctx: Context, case: str) -> Row | None:
    return next(
        (r for r in ctx.rows if r.cmd.case == case and r.cmd.tool == "portal-lint" and r.timing), None
    )


def timing_table(ctx: Context) -> list[str]:
    out = [
        _md_row(
            "case",
            "tool",
            "median ms",
            "min–max ms",
            "× portal-lint",
            "peak RSS MB",
            "Σ tree MB",
            "recall: at line (in file)",
            "notes",
        ),
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in ctx.rows:
        cmd = row.cmd
        if cmd.case == "recall" or cmd.case.startswith("recall "):
            continue
        if row.timing is None:
            out.append(f"| {cmd.case} | {cmd.tool} | — | | | | | | {cmd.unavailable or ''} |")
            continue
        t = row.timing
        base = _portal_lint_row(ctx, cmd.case)
        ratio = f"{t.median_ms / base.timing.median_ms:.2f}×" if base and base.timing else "—"
        cap = row.capture
        rss = f"{cap.maxrss_mb:.1f}" if cap and cap.maxrss_mb is not None else ""
        # A 10 ms sampler says nothing about a 10 ms command (GNU time's figure is exact there).
        tree = f"{cap.tree_mb:.1f}" if cap and cap.wall_ms >= 50 else ""
        notes = list(row.notes)
        if cap and cap.rc not in (0, 1):
            notes.append(f"exit {cap.rc}: {_tail(cap.stderr, 160)}")
        if t.runs == 1:
            notes.append("1 run")
        cell = " ".join(notes).replace("|", "\\|").replace("\n", " ")
        out.append(
            f"| {cmd.case} | {cmd.tool} | {_fmt_ms(t.median_ms)} | {_fmt_ms(t.min_ms)}–{_fmt_ms(t.max_ms)} "
            f"| {ratio} | {rss} | {tree} | {_recall_cell(row.recall)} | {cell} |"
        )
    return out


def recall_table(ctx: Context) -> list[str]:
    out = [
        _md_row(
            "seeded set", "tool", "at the manifest's line", "anywhere in the file", "errors on the clean twin"
        ),
        "|---|---|---:|---:|---:|",
    ]
    for (tool, set_name), r in sorted(
        ctx.recalls.items(), key=lambda kv: (kv[0][1], kv[0][0] != "portal-lint")
    ):
        if set_name in ("catalog/n5000",) and (tool, "catalog/n1000") in ctx.recalls:
            continue  # the n5000 figures are in the timing table; this table is about n1000
        family, _, size = set_name.partition("/")
        cc = ctx.clean_counts.get((tool, f"{family}-clean/{size}"))
        if cc is None:
            # Variants of one peer (zatalog per file, the skills-ref loop) share the clean
            # count of the variant that ran on the clean twin: same code, same verdicts.
            first = tool.split(" ")[0]
            cc = next(
                (
                    c
                    for (t, s), c in ctx.clean_counts.items()
                    if t.split(" ")[0] == first and s.endswith(f"-clean/{size}") and s.startswith(family)
                ),
                None,
            )
        clean = "—" if cc is None else str(cc.errors)
        if cc is not None and cc.relation_errors:
            clean += (
                f" (all {cc.relation_errors} dangling relations)" if cc.relation_errors == cc.errors else ""
            )
        out.append(f"| {set_name} | {tool} | {r.at_line}/{r.seeded} | {r.in_file}/{r.seeded} | {clean} |")
    return out


def category_table(ctx: Context) -> list[str]:
    sets = sorted({s for (_, s) in ctx.recalls if s.endswith(("n1000", "n100")) or ctx.quick})
    out: list[str] = []
    for set_name in sets:
        tools = [t for (t, s) in ctx.recalls if s == set_name]
        tools.sort(key=lambda t: t != "portal-lint")
        if not tools:
            continue
        cats = list(ctx.recalls[(tools[0], set_name)].by_category)
        out += [f"**{set_name}**, caught at the line (in the file):", ""]
        out.append("| category | seeded | " + " | ".join(tools) + " |")
        out.append("|---|---:|" + "---:|" * len(tools))
        for cat in cats:
            n = ctx.recalls[(tools[0], set_name)].by_category[cat][0]
            cells = []
            for t in tools:
                _, ln, fl = ctx.recalls[(t, set_name)].by_category.get(cat, (0, 0, 0))
                cells.append(f"{ln} ({fl})")
            out.append(f"| {cat} | {n} | " + " | ".join(cells) + " |")
        out.append("")
    return out


def budget_table(ctx: Context) -> list[str]:
    def med(case: str, tool: str) -> float | None:
        row = next((r for r in ctx.rows if r.cmd.case == case and r.cmd.tool == tool and r.timing), None)
        return row.timing.median_ms if row and row.timing else None

    def mem(case: str) -> float | None:
        row = next(
            (r for r in ctx.rows if r.cmd.case == case and r.cmd.tool == "portal-lint" and r.capture), None
        )
        return max(row.capture.maxrss_mb or 0.0, row.capture.tree_mb) if row and row.capture else None

    def verdict(ok: bool | None) -> str:
        return "—" if ok is None else ("pass" if ok else "**FAIL**")

    out = ["| budget (issue 8) | measured | verdict |", "|---|---|---|"]
    if ctx.pl_error:
        return [*out, "| all | portal-lint not measured | — |"]
    one = "one catalog file (catalog/n1), offline"
    pl, fl = med(one, "portal-lint"), med(one, 'python -c "import yaml" (floor)')
    if pl and fl:
        got = f"{pl:.1f} ms = {pl / fl:.2f}× floor ({fl:.1f} ms)"
        out.append(_md_row("one catalog file ≤ 1.5× floor", got, verdict(pl <= 1.5 * fl)))
    sk = "one SKILL.md (skills/n1)"
    pl, sr = med(sk, "portal-lint"), med(sk, "skills-ref")
    if pl:
        vs = f", skills-ref {sr:.1f} ms" if sr else ""
        ok = pl <= 30 and (sr is None or pl < sr)
        out.append(
            _md_row("one SKILL.md ≤ 30 ms and faster than skills-ref", f"{pl:.1f} ms{vs}", verdict(ok))
        )
    if not ctx.quick:
        c5 = med("catalog/n5000, one command", "portal-lint")
        z5 = med("catalog-clean/n5000, one command", "zatalog")
        if c5:
            out.append(f"| catalog/n5000 ≤ 1.5 s wall | {c5 / 1000:.2f} s | {verdict(c5 <= 1500)} |")
        if c5 and z5:
            got = f"{z5 / c5:.1f}× ({z5 / 1000:.2f} s vs {c5 / 1000:.2f} s)"
            out.append(_md_row("≥ 8× faster than zatalog on catalog-clean/n5000", got, verdict(z5 / c5 >= 8)))
        s1 = med("skills/n1000", "portal-lint")
        ag = med("skills/n1000", "agnix")
        if s1:
            vs = f" (agnix {ag:.0f} ms)" if ag else ""
            out.append(f"| skills/n1000 ≤ 270 ms | {s1:.0f} ms{vs} | {verdict(s1 <= 270)} |")
        m5 = mem("catalog/n5000, one command")
        if m5:
            out.append(f"| peak memory, catalog/n5000 ≤ 80 MB | {m5:.1f} MB | {verdict(m5 <= 80)} |")
    for set_name in ("catalog/n100", "catalog/n1000", "skills/n100", "skills/n1000"):
        r = ctx.recalls.get(("portal-lint", set_name))
        if r is None:
            continue
        required = [m for m in r.missed if recall_mod.required_for_portal_lint(m)]
        need = sum(n for cat, (n, _, _) in r.by_category.items() if cat != "bad_lifecycle (unknown value)")
        family, _, size = set_name.partition("/")
        cc = ctx.clean_counts.get(("portal-lint", f"{family}-clean/{size}"))
        clean = f", {cc.errors} errors on {family}-clean/{size}" if cc else ""
        out.append(
            f"| {set_name}: every required seeded error at its line, clean twin 0 errors "
            f"| {need - len(required)}/{need}{clean} "
            f"| {verdict(not required and (cc is None or cc.errors == 0))} |"
        )
    return out


def environment(ctx: Context, started: float) -> list[str]:
    def git(*args: str) -> str:
        p = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
        return p.stdout.strip()

    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.machine(),
    )
    py = subprocess.run(
        [ctx.pl.python, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = (
        " (with uncommitted changes)" if git("status", "--porcelain", "--", "portal_lint", "rules") else ""
    )
    stamp = json.loads(corpus_mod.STAMP_FILE.read_text(encoding="utf-8"))
    peers = ", ".join(
        f"{n} {p.version} (`{Path(p.executable).name}`)" if p.ok and p.executable else f"{n}: unavailable"
        for n, p in ctx.peers.items()
    )
    lines = [
        f"- When: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}, "
        f"{time.time() - started:.0f} s for the whole run"
        f"{' (--quick)' if ctx.quick else ''}",
        f"- Machine: {os.cpu_count()} cores, {cpu}, "
        f"load average at start {ctx.notes[0] if ctx.notes else '?'}",
        f"- portal-lint: commit {git('rev-parse', '--short', 'HEAD')}{dirty}, {py} ({ctx.pl.mode})",
        f"- Peers: {peers or 'none'}; Roadie validator: not installable here (GitHub Action / Docker image)",
        f"- Timer: {ctx.timer.name}, warm-up 1; corpus: gen_corpus.py seed {stamp['seed']}, "
        f"sha256 {str(stamp['generator_sha256'])[:12]}",
    ]
    if ctx.pl_error:
        lines.append(f"- **portal-lint could not be measured**: {ctx.pl_error}")
    return lines


def render(ctx: Context, started: float, profile_md: str | None) -> str:
    md = ["## Results", "", *environment(ctx, started), "", "### Timings", "", *timing_table(ctx), ""]
    md += [
        "Median of the timed runs. × portal-lint: this row's median over portal-lint's in the same case. "
        "Peak RSS: the largest single process (GNU time %M); Σ tree: the largest sampled sum over the "
        "process tree (every 10 ms), which counts pool workers.",
        "",
        "### Budgets",
        "",
        *budget_table(ctx),
        "",
        "### Seeded-error recall",
        "",
        *recall_table(ctx),
        "",
        *category_table(ctx),
        "A seeded error is caught at its line when the tool reports any finding in that file "
        "at the manifest's "
        "line; zatalog and skills-ref print no line numbers for schema problems (zatalog's YAML errors count "
        "at any line they mention). zatalog's dangling-relation problems are not counted as catches.",
    ]
    notes = [
        f"- {r.cmd.tool} on {r.cmd.target}: {' '.join(r.notes)}"
        for r in ctx.rows
        if r.notes and r.cmd.case.startswith("recall")
    ]
    if notes:
        md += ["", *notes]
    if profile_md:
        md += ["", profile_md]
    return "\n".join(md) + "\n"


def update_readme(text: str) -> bool:
    if not README_FILE.is_file():
        return False
    readme = README_FILE.read_text(encoding="utf-8")
    if START_MARK not in readme or END_MARK not in readme:
        return False
    head, rest = readme.split(START_MARK, 1)
    _, tail = rest.split(END_MARK, 1)
    # The README's own "## Figures" heading stands in for "## Results".
    body = text.replace("## Results", "", 1).strip("\n")
    README_FILE.write_text(f"{head}{START_MARK}\n{body}\n{END_MARK}{tail}", encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke size (n100 sets, fewer runs); writes .work/ only"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile portal-lint (cProfile, -X importtime)"
    )
    parser.add_argument(
        "--cases", default=",".join(CASE_KEYS), help=f"comma list of {', '.join(CASE_KEYS)}, or 'none'"
    )
    parser.add_argument("--no-peers", action="store_true", help="measure portal-lint alone")
    parser.add_argument("--python", help="interpreter that runs portal-lint (default: a benchmark venv)")
    parser.add_argument(
        "--install-hyperfine", action="store_true", help="apt-get install hyperfine when missing"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print only; write neither RESULTS.md nor README"
    )
    args = parser.parse_args(argv)
    cases = set() if args.cases == "none" else {c.strip() for c in args.cases.split(",") if c.strip()}
    if unknown := cases - set(CASE_KEYS):
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")

    started = time.time()
    load = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    try:
        corpus = corpus_mod.ensure_corpus()
    except corpus_mod.CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pl = peers_mod.ensure_portal_lint_env(args.python)
    peers_mod.compile_portal_lint(pl)
    peers = {} if args.no_peers else peers_mod.ensure_peers()
    hf = peers_mod.find_hyperfine(install=args.install_hyperfine)
    timer: Timer = HyperfineTimer(hf) if hf else Timer()
    ctx = Context(corpus, args.quick, pl, None, peers, timer, notes=[load])
    ctx.pl_error = probe_portal_lint(ctx)
    if ctx.pl_error:
        print(
            f"\n*** {ctx.pl_error}\n*** portal-lint rows are left empty; peers are still measured.\n",
            file=sys.stderr,
        )
    build_and_run(ctx, cases)
    profile_md = None
    if args.profile:
        profile_md = run_profile(ctx) if not ctx.pl_error else f"### Profile\n\nnot run: {ctx.pl_error}"
    text = render(ctx, started, profile_md)
    print(text)

    # Only a complete run that measured portal-lint replaces the committed figures.
    complete = cases == set(CASE_KEYS) and not args.quick and not args.no_peers and not ctx.pl_error
    if args.no_write:
        return 0
    if complete:
        RESULTS_FILE.write_text(
            "# Benchmark results\n\nWritten by `python benchmarks/run.py`.\n\n" + text, encoding="utf-8"
        )
        updated = update_readme(text)
        print(
            f"wrote {RESULTS_FILE.relative_to(PROJECT_ROOT)}{' and README figures' if updated else ''}",
            file=sys.stderr,
        )
    else:
        # Partial or smoke runs never overwrite the committed figures.
        out = WORK_DIR / ("RESULTS-quick.md" if args.quick else "RESULTS-partial.md")
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out.relative_to(PROJECT_ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The long fuzz run, by hand (not part of the suite): `python -m tests.fuzz_run [TOTAL [TARGET=SHARE…]]`.

Runs the targets of tests/test_fuzz.py (arbitrary bytes, YAML from random values, entity-shaped
YAML, fixture mutations, SKILL.md / AGENTS.md) with TOTAL inputs in all (default 100,000),
shared as below; every input is linted, and where a rule declares a fix, `--fix` is applied
and the result linted again. One process, so one core. Prints, per target, the inputs, the
files fixed, the fixes taken back by the parse guard, the time, and the first failure if any
(a crash, a hang past the per-input alarm, or a fix that broke parsing).
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from pathlib import Path

SHARES = {  # of TOTAL: entity-shaped inputs are the slowest (most carry fixes), so get fewer
    "test_arbitrary_bytes": 0.35,
    "test_yaml_from_random_values": 0.22,
    "test_entity_shaped_yaml": 0.08,
    "test_mutated_fixtures": 0.25,
    "test_markdown_files": 0.10,
}
PROGRESS_S = 120


def main(total: int, shares: dict[str, float] = SHARES) -> int:
    os.environ["PORTAL_LINT_FUZZ_LONG"] = "1"
    failures = 0
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="portal-lint-fuzz-run-") as tmp:
        repo = Path(tmp)
        (repo / ".git").mkdir()
        for name, share in shares.items():
            # The example count is read when the module is imported: import it anew per target.
            os.environ["PORTAL_LINT_FUZZ_EXAMPLES"] = str(max(1, round(total * share)))
            module = importlib.reload(importlib.import_module("tests.test_fuzz"))
            start = time.monotonic()
            outcome = "ok"
            done = threading.Event()
            threading.Thread(target=_progress, args=(name, module.STATS, done), daemon=True).start()
            try:
                getattr(module, name)(repo=repo)
            except Exception:
                failures += 1
                outcome = "FAILED\n" + traceback.format_exc(limit=8)
            done.set()
            stats = module.STATS
            print(
                f"{name}: {stats['inputs']:,} inputs, {stats['fixed']:,} fixed, "
                f"{stats['taken back']:,} fixes taken back, {time.monotonic() - start:.0f} s: {outcome}",
                flush=True,
            )
    print(f"total {time.monotonic() - began:.0f} s, {failures} failing targets", flush=True)
    return 1 if failures else 0


def _progress(name: str, stats: Counter[str], done: threading.Event) -> None:
    """A line now and then, so a run cut short still says how far it got."""
    while not done.wait(PROGRESS_S):
        print(f"  {name}: {stats['inputs']:,} inputs so far", flush=True)


if __name__ == "__main__":
    # `python -m tests.fuzz_run TOTAL [TARGET=SHARE ...]`: only those targets, with those shares.
    os.environ.setdefault("PYTHONHASHSEED", "0")
    chosen = {k: float(v) for k, v in (arg.split("=") for arg in sys.argv[2:])} or SHARES
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, chosen))

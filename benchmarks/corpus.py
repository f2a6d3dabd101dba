"""Generate (and cache) the benchmark corpus from ``../shared/gen_corpus.py``.

The generator lives in the shared folder beside the project root (override with the
environment variable ``PORTAL_LINT_SHARED``). Its output goes to ``benchmarks/.work/corpus``
and is regenerated only when it is missing, or when the generator's sha256, the seed or
our own post-processing changed (recorded in ``benchmarks/.work/corpus.stamp.json``).

Post-processing: the corpus sits inside this project's git checkout, and portal-lint takes
the nearest ancestor holding ``.git`` as a file's repository root. Without markers every
corpus file would belong to the portal-lint repository itself (its AGENTS.md, its config),
and every ``repo-*`` folder would share one repository (so cross-file rules such as
duplicate entities would span 5,000 "repositories"). So we create empty ``.git/``
directories:

* in every ``catalog*/n*/repo-*`` folder: each generated service is its own repository;
* in every ``skills*/n*`` folder: each skill set is one repository of skills;
* at the corpus root: nothing below it escapes to the real checkout.

An empty ``.git`` directory is not a valid git repository, so git itself still walks up to
the real checkout (where ``benchmarks/.work/`` is ignored); only portal-lint's marker
lookup stops there.

Usage: ``python benchmarks/corpus.py [--force] [--seed N]`` prints the corpus path.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = PROJECT_ROOT / "benchmarks"
WORK_DIR = BENCH_DIR / ".work"
CORPUS_DIR = WORK_DIR / "corpus"
STAMP_FILE = WORK_DIR / "corpus.stamp.json"

DEFAULT_SEED = 20261124  # the generator's own default; kept equal so figures match other runs
# Bump when the post-processing below changes, so cached corpora are rebuilt.
POSTPROCESS_VERSION = 2

# Sets the rest of the harness relies on; a corpus missing one of them is rebuilt.
EXPECTED_MANIFESTS = (
    "catalog/n1",
    "catalog/n100",
    "catalog/n1000",
    "catalog/n5000",
    "catalog-clean/n1000",
    "catalog-clean/n5000",
    "skills/n1",
    "skills/n100",
    "skills/n1000",
    "skills-clean/n1000",
)


class CorpusError(RuntimeError):
    """The corpus cannot be produced (generator missing or failing)."""


def shared_dir() -> Path:
    """The shared folder: ``$PORTAL_LINT_SHARED`` or the sibling ``shared`` of the project root."""
    env = os.environ.get("PORTAL_LINT_SHARED")
    return Path(env).resolve() if env else PROJECT_ROOT.parent / "shared"


def generator_path() -> Path:
    path = shared_dir() / "gen_corpus.py"
    if not path.is_file():
        raise CorpusError(
            f"corpus generator not found at {path}; "
            "set PORTAL_LINT_SHARED to the folder holding gen_corpus.py"
        )
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wanted_stamp(seed: int) -> dict[str, object]:
    return {
        "generator": str(generator_path()),
        "generator_sha256": _sha256(generator_path()),
        "seed": seed,
        "postprocess": POSTPROCESS_VERSION,
    }


def _is_current(stamp: dict[str, object]) -> bool:
    if not STAMP_FILE.is_file():
        return False
    try:
        have = json.loads(STAMP_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    # The generator's location may legitimately move (another clone, CI's copy of shared/);
    # only its content, the seed and our post-processing decide whether the corpus is stale.
    keys = ("generator_sha256", "seed", "postprocess")
    if any(have.get(k) != stamp[k] for k in keys):
        return False
    return all((CORPUS_DIR / name / "manifest.json").is_file() for name in EXPECTED_MANIFESTS)


def add_repo_markers(root: Path) -> int:
    """Create the empty ``.git/`` markers described in the module docstring; return how many."""
    count = 0
    targets: list[Path] = [root]
    for set_dir in sorted(root.glob("catalog*/n*")):
        targets.extend(sorted(p for p in set_dir.glob("repo-*") if p.is_dir()))
    targets.extend(sorted(p for p in root.glob("skills*/n*") if p.is_dir()))
    for target in targets:
        (target / ".git").mkdir(exist_ok=True)
        count += 1
    return count


def ensure_corpus(seed: int = DEFAULT_SEED, force: bool = False, quiet: bool = False) -> Path:
    """Return the corpus root, generating it first when missing or stale."""
    stamp = _wanted_stamp(seed)
    if not force and _is_current(stamp):
        return CORPUS_DIR
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    # Generate beside the final place and swap in at the end, so an interrupted run never
    # leaves a half-written corpus behind a valid stamp.
    tmp = WORK_DIR / f"corpus.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    if not quiet:
        print(f"generating corpus (seed {seed}) with {generator_path()} ...", file=sys.stderr)
    proc = subprocess.run(
        [sys.executable, str(generator_path()), "--out", str(tmp), "--seed", str(seed)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise CorpusError(f"gen_corpus.py failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    markers = add_repo_markers(tmp)
    STAMP_FILE.unlink(missing_ok=True)
    if CORPUS_DIR.exists():
        shutil.rmtree(CORPUS_DIR)
    tmp.rename(CORPUS_DIR)
    STAMP_FILE.write_text(json.dumps({**stamp, "markers": markers}, indent=1) + "\n", encoding="utf-8")
    if not quiet:
        print(f"corpus ready at {CORPUS_DIR} ({markers} repository markers)", file=sys.stderr)
    return CORPUS_DIR


def load_manifest(corpus: Path, set_name: str) -> dict[str, object]:
    """The manifest of one set, e.g. ``catalog/n1000``."""
    data: dict[str, object] = json.loads((corpus / set_name / "manifest.json").read_text(encoding="utf-8"))
    return data


def set_files(corpus: Path, set_name: str) -> list[Path]:
    """The linted files of a set (catalog-info.yaml or SKILL.md), sorted, absolute."""
    pattern = "repo-*/catalog-info.yaml" if set_name.startswith("catalog") else "*/SKILL.md"
    return sorted((corpus / set_name).glob(pattern))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--force", action="store_true", help="regenerate even when the cache is current")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    try:
        print(ensure_corpus(seed=args.seed, force=args.force))
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Install the tools portal-lint is compared against, each in its own venv, and describe them.

Peers (from PyPI, installed with pip into ``benchmarks/.work/venvs/<name>``):

* ``zatalog``    catalog loader/validator; CLI ``zatalog validate --root DIR --recursive``; plain text.
* ``skills-ref`` the Agent Skills reference validator; its PyPI console script is
                 ``agentskills`` (the upstream repository calls it ``skills-ref``);
                 ``agentskills validate SKILL_DIR``, one skill per call, plain text.
* ``agnix``      a Rust binary shipped inside a wheel; ``agnix --format json PATH...``.

The Roadie validator (``@roadiehq/backstage-entity-validator``) ships as a GitHub Action and
a Docker image; neither can be installed from the registries this machine reaches, so it is
listed as not installable rather than silently left out.

Also here: the portal-lint interpreter for the benchmarks (a venv of its own, so that the
floor ``python -c "import yaml"`` and portal-lint run from the same, clean site-packages) and
hyperfine (Debian package), with the in-Python timer as the fallback when it is missing.

Usage: ``python benchmarks/peers.py [--reinstall] [--install-hyperfine]`` prints what it found.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from corpus import PROJECT_ROOT, WORK_DIR

VENVS_DIR = WORK_DIR / "venvs"
PEERS_FILE = WORK_DIR / "peers.json"


@dataclass(frozen=True)
class PeerSpec:
    name: str
    package: str
    # Candidate executable names, best first: a rename upstream (skills-ref <-> agentskills)
    # should not silently drop the peer from the comparison.
    executables: tuple[str, ...]
    version_args: tuple[str, ...] = ("--version",)


PEER_SPECS: tuple[PeerSpec, ...] = (
    PeerSpec("zatalog", "zatalog", ("zatalog",), ("-V",)),
    PeerSpec("skills-ref", "skills-ref", ("agentskills", "skills-ref")),
    PeerSpec("agnix", "agnix", ("agnix",)),
)

NOT_INSTALLABLE = {
    "roadie-validator": (
        "@roadiehq/backstage-entity-validator is a GitHub Action / Docker image; not installable "
        "from the package registries reachable here, so not measured"
    ),
}


@dataclass
class Peer:
    name: str
    package: str
    venv: str
    executable: str | None = None
    version: str | None = None
    version_output: str | None = None
    console_scripts: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.executable is not None and self.error is None

    @property
    def python(self) -> str:
        return str(Path(self.venv) / "bin" / "python")


def _run(argv: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def _make_venv(path: Path) -> None:
    # The standard library venv (not virtualenv/uv) because it is on every machine here.
    proc = _run([sys.executable, "-m", "venv", "--clear", str(path)])
    if proc.returncode != 0:
        raise RuntimeError(f"python -m venv failed: {proc.stderr.strip()[-500:]}")


def _pip_install(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q", *args]
    )


_METADATA_PROBE = """
import importlib.metadata as m, json, sys
d = m.distribution(sys.argv[1])
print(json.dumps({"version": d.version,
                  "scripts": sorted(e.name for e in d.entry_points if e.group == "console_scripts")}))
"""


def ensure_peer(spec: PeerSpec, reinstall: bool = False) -> Peer:
    venv = VENVS_DIR / spec.name
    peer = Peer(spec.name, spec.package, str(venv))
    bin_dir = venv / "bin"
    installed = any((bin_dir / exe).exists() for exe in spec.executables)
    if reinstall or not installed:
        try:
            _make_venv(venv)
        except RuntimeError as exc:
            peer.error = str(exc)
            return peer
        proc = _pip_install(venv, spec.package)
        if proc.returncode != 0:
            peer.error = f"pip install {spec.package} failed: {proc.stderr.strip()[-800:]}"
            return peer
    probe = _run([str(bin_dir / "python"), "-c", _METADATA_PROBE, spec.package])
    if probe.returncode == 0:
        meta = json.loads(probe.stdout)
        peer.version = meta["version"]
        peer.console_scripts = meta["scripts"]
    # agnix's binary is wheel data (no console_scripts entry), so look for files, then fall
    # back to whatever console script the package declares.
    candidates = [*spec.executables, *peer.console_scripts]
    peer.executable = next((str(bin_dir / e) for e in candidates if (bin_dir / e).exists()), None)
    if peer.executable is None:
        peer.error = f"installed {spec.package} but found none of {candidates} in {bin_dir}"
        return peer
    out = _run([peer.executable, *spec.version_args], timeout=60)
    peer.version_output = (
        (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""
    )
    return peer


def ensure_peers(reinstall: bool = False, names: tuple[str, ...] | None = None) -> dict[str, Peer]:
    peers: dict[str, Peer] = {}
    for spec in PEER_SPECS:
        if names is not None and spec.name not in names:
            continue
        peers[spec.name] = ensure_peer(spec, reinstall=reinstall)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    PEERS_FILE.write_text(
        json.dumps(
            {"peers": {k: asdict(v) for k, v in peers.items()}, "not_installable": NOT_INSTALLABLE}, indent=1
        )
        + "\n",
        encoding="utf-8",
    )
    return peers


# ---------------------------------------------------------------- portal-lint's interpreter


@dataclass
class PortalLintEnv:
    """How to start portal-lint: ``python -m portal_lint`` with this interpreter and env."""

    python: str
    env: dict[str, str]
    mode: str  # "venv-editable", "venv-pythonpath", "given", "current-interpreter"
    note: str = ""


def _project_dependencies() -> list[str]:
    data = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    deps: list[str] = data.get("project", {}).get("dependencies", [])
    return deps


def ensure_portal_lint_env(python: str | None = None, reinstall: bool = False) -> PortalLintEnv:
    """Pick (and if needed build) the interpreter that runs portal-lint and the floor.

    A venv of its own keeps the measurement clean: the machine's base interpreter may carry
    ``.pth`` start-up hooks that cost tens of milliseconds before any user code runs, which
    would hide exactly the start-up cost issue 8 budgets.
    """
    # PYTHONDONTWRITEBYTECODE (set in some sandboxes) would leave portal-lint, alone of all the
    # tools, compiling its sources on every start: the peers and PyYAML were byte-compiled by
    # pip at install time, and so is portal-lint below (compile_portal_lint).
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    given = python or os.environ.get("PORTAL_LINT_PYTHON")
    if given:
        return PortalLintEnv(given, env, "given", f"interpreter given: {given}")
    venv = VENVS_DIR / "portal-lint"
    stamp = venv / ".portal-lint-stamp"
    want = hashlib.sha256((PROJECT_ROOT / "pyproject.toml").read_bytes()).hexdigest()
    have = stamp.read_text(encoding="utf-8").split() if stamp.is_file() else []
    if not reinstall and len(have) == 2 and have[0] == want:
        mode = have[1]
        # A source tree that did not build last time (e.g. no README yet) may build now.
        if (
            mode == "venv-pythonpath"
            and _pip_install(venv, "--no-deps", "-e", str(PROJECT_ROOT)).returncode == 0
        ):
            mode = "venv-editable"
            stamp.write_text(f"{want} {mode}\n", encoding="utf-8")
    else:
        try:
            _make_venv(venv)
        except RuntimeError as exc:
            return PortalLintEnv(sys.executable, _with_pythonpath(env), "current-interpreter", str(exc))
        # Editable first: closest to what a developer runs. It needs the package to build
        # (README present, etc.); while the project is half-written, fall back to installing
        # only its runtime dependencies and importing the source tree through PYTHONPATH.
        proc = _pip_install(venv, "-e", str(PROJECT_ROOT))
        mode = "venv-editable"
        if proc.returncode != 0:
            deps = _project_dependencies()
            proc2 = _pip_install(venv, *deps) if deps else None
            if proc2 is not None and proc2.returncode != 0:
                return PortalLintEnv(
                    sys.executable,
                    _with_pythonpath(env),
                    "current-interpreter",
                    f"could not install portal-lint's dependencies into {venv}: {proc2.stderr[-400:]}",
                )
            mode = "venv-pythonpath"
        stamp.write_text(f"{want} {mode}\n", encoding="utf-8")
    py = str(venv / "bin" / "python")
    if mode == "venv-pythonpath":
        return PortalLintEnv(
            py, _with_pythonpath(env), mode, "editable install failed; source tree on PYTHONPATH"
        )
    return PortalLintEnv(py, env, mode, "editable install into the benchmark venv")


def compile_portal_lint(pl: PortalLintEnv) -> None:
    """Byte-compile the checkout as `pip install` compiles an installed package, so that the
    timings measure portal-lint's start-up, not the compilation of modules edited since the
    last run."""
    subprocess.run(
        [pl.python, "-m", "compileall", "-q", str(PROJECT_ROOT / "portal_lint")],
        env=pl.env,
        capture_output=True,
        check=False,
    )


def _with_pythonpath(env: dict[str, str]) -> dict[str, str]:
    return {**env, "PYTHONPATH": str(PROJECT_ROOT)}


# ---------------------------------------------------------------- hyperfine


def find_hyperfine(install: bool = False) -> str | None:
    """Path of hyperfine; with ``install``, try Debian's package first (root only)."""
    path = shutil.which("hyperfine")
    if path or not install:
        return path
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    # apt-get update first: on a fresh machine the package lists are empty.
    if _run(["apt-get", "update"], timeout=600).returncode == 0:
        _run(["apt-get", "install", "-y", "hyperfine"], timeout=600)
    return shutil.which("hyperfine")


def hyperfine_version(path: str) -> str:
    out = _run([path, "--version"], timeout=30).stdout.strip()
    return out.removeprefix("hyperfine ").strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reinstall", action="store_true", help="rebuild every venv from scratch")
    parser.add_argument(
        "--install-hyperfine", action="store_true", help="apt-get install hyperfine if missing"
    )
    args = parser.parse_args(argv)
    for name, peer in ensure_peers(reinstall=args.reinstall).items():
        state = f"{peer.version}  {peer.executable}" if peer.ok else f"UNAVAILABLE: {peer.error}"
        print(f"{name:12s} {state}")
        if peer.ok:
            print(
                f"{'':12s} console scripts: {peer.console_scripts or '-'}; --version: {peer.version_output}"
            )
    for name, why in NOT_INSTALLABLE.items():
        print(f"{name:12s} not installable here: {why}")
    pl = ensure_portal_lint_env(reinstall=args.reinstall)
    print(f"{'portal-lint':12s} {pl.python} ({pl.mode}; {pl.note})")
    hf = find_hyperfine(install=args.install_hyperfine)
    print(f"{'hyperfine':12s} {hf + ' ' + hyperfine_version(hf) if hf else 'missing: in-Python timer used'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

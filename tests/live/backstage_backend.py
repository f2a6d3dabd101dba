"""Start and stop the real Backstage catalog backend through `.ci/backstage.sh`.

Shared by the live tests (tests/live/conftest.py) and the benchmarks. Every run gets
its own port, pid file and log under `.cache/live/`, so parallel users never stop each
other's backend.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".ci" / "backstage.sh"
RUN_DIR = ROOT / ".cache" / "live"
SEED_DIR = Path(__file__).resolve().parent / "seed"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class BackendError(RuntimeError):
    """The backend could not be installed or started; the message carries the log tail."""


@dataclass(frozen=True)
class Backend:
    """A running backend: base URL, its static token, and where its files are."""

    url: str
    token: str = field(repr=False)
    seed_dir: Path
    port: int
    pidfile: Path
    log: Path
    startup_seconds: float


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(_ANSI.sub("", text).splitlines()[-lines:])


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # start.sh polls with curl: a proxy from the environment must not see loopback traffic.
    for name in ("NO_PROXY", "no_proxy"):
        env[name] = ",".join(filter(None, ["127.0.0.1,localhost", env.get(name)]))
    env.update(extra)
    return env


def install(timeout: float = 900.0) -> None:
    """Copy the shared backend into .cache and `npm ci` it, if not done already."""
    try:
        proc = subprocess.run(
            [str(SCRIPT), "install"], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise BackendError(f"`.ci/backstage.sh install` did not finish within {timeout:.0f} s") from None
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.splitlines()[-30:])
        raise BackendError(f"`.ci/backstage.sh install` failed (exit {proc.returncode}):\n{tail}")


def start(
    seed_dir: Path = SEED_DIR,
    *,
    name: str = "pytest",
    token: str | None = None,
    timeout: float = 120.0,
    attempts: int = 2,
) -> Backend:
    """Start a backend seeded from `seed_dir` and wait until every seed entity is in it."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    token = token or f"live-{secrets.token_urlsafe(18)}"
    failure = ""
    for _ in range(attempts):
        port = free_port()
        stem = RUN_DIR / f"{name}-{os.getpid()}-{port}"
        pidfile, log = stem.with_suffix(".pid"), stem.with_suffix(".log")
        env = _env(
            PORTAL_BACKSTAGE_PORT=str(port),
            PORTAL_BACKSTAGE_SEED=str(seed_dir),
            PORTAL_BACKSTAGE_TOKEN=token,
            PORTAL_BACKSTAGE_PIDFILE=str(pidfile),
            PORTAL_BACKSTAGE_LOG=str(log),
            PORTAL_BACKSTAGE_TIMEOUT=str(int(timeout)),
        )
        began = time.monotonic()
        try:
            proc = subprocess.run(
                [str(SCRIPT), "start"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout + 60,
            )
        except subprocess.TimeoutExpired:
            _stop(pidfile)
            raise BackendError(f"start.sh hung beyond {timeout:.0f} s; log {log}:\n{log_tail(log)}") from None
        except BaseException:
            # Interrupted while waiting for ingestion: the backend is already running.
            _stop(pidfile)
            raise
        if proc.returncode == 0:
            return Backend(
                url=proc.stdout.strip().splitlines()[-1],
                token=token,
                seed_dir=seed_dir,
                port=port,
                pidfile=pidfile,
                log=log,
                startup_seconds=time.monotonic() - began,
            )
        _stop(pidfile)
        tail = log_tail(log)
        failure = f"start.sh failed (exit {proc.returncode}):\n{proc.stderr.strip()}\nlog {log}:\n{tail}"
        # Another process may have taken the port between free_port() and listen().
        if "EADDRINUSE" not in tail:
            break
    raise BackendError(failure)


def stop(backend: Backend) -> None:
    """Stop it; its log is kept only by runs that failed to start."""
    _stop(backend.pidfile)
    backend.log.unlink(missing_ok=True)


def _stop(pidfile: Path) -> None:
    env = _env(PORTAL_BACKSTAGE_PIDFILE=str(pidfile))
    subprocess.run([str(SCRIPT), "stop"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@contextmanager
def running(seed_dir: Path = SEED_DIR, *, name: str = "pytest", timeout: float = 120.0) -> Iterator[Backend]:
    """Install if needed, start, yield, and always stop."""
    install()
    backend = start(seed_dir, name=name, timeout=timeout)
    try:
        yield backend
    finally:
        stop(backend)

"""The repository a folder-taking command (`policy`, `init`) works on, and its config."""

from __future__ import annotations

import sys
from pathlib import Path

from portal_lint.config import Config, ConfigError, load
from portal_lint.discover import git_root


def repo_and_config(path: str, config: Path | None = None) -> tuple[Path, Config] | None:
    """The repository root at or above the folder `path`, and its config; None (after saying
    why on stderr) when `path` is not a folder or the config is invalid: the command exits 2."""
    start = Path(path).absolute()
    if not start.is_dir():
        print(f"portal-lint: {path}: not a folder", file=sys.stderr)
        return None
    root = git_root(start) or start
    try:
        return root, load(root, config)
    except ConfigError as exc:
        print(f"portal-lint: {exc}", file=sys.stderr)
        return None

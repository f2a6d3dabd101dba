"""One workspace as the MCP and language servers see it, linted by the same engine as the CLI.

Both servers lint text that is not on disk (an editor's unsaved buffer, an agent's
proposed catalog-info.yaml) through `model.read_scope`. Catalog settings come from
`portal_lint.live`, as for the CLI; linting uses the snapshot only, never the network, so
an editor never waits on it while the user types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portal_lint import config as config_mod
from portal_lint import engine, live, registry
from portal_lint.diagnostic import Diagnostic, Result
from portal_lint.model import read_scope

if TYPE_CHECKING:
    from portal_lint.catalog.index import EntityIndex


class WorkspaceError(Exception):
    """A request the workspace cannot serve, as one line that says what to do instead."""


@dataclass
class Workspace:
    """A folder whose files are linted; `confined` keeps every read inside it (for agents)."""

    root: Path
    confined: bool = False
    snapshot_path: Path | None = None  # overrides the config's `snapshot`
    _snapshots: live.SnapshotCache = field(default_factory=live.SnapshotCache, repr=False)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        if not self.root.is_dir():
            raise WorkspaceError(f"workspace root {self.root} is not a folder")

    # -- inputs ---------------------------------------------------------------------------

    def inside(self, raw: str, *, must_exist: bool = True) -> Path:
        """The absolute path of a client-given path, refused unless it stays in the root.

        Relative paths are taken from the root; `..` and symlinks are resolved before the
        check, so neither can reach a file outside it.
        """
        if not raw or "\0" in raw:
            raise WorkspaceError("a path must be a non-empty string without NUL characters")
        given = Path(raw)
        candidate = given if given.is_absolute() else self.root / given
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError):
            raise WorkspaceError(f"{raw}: cannot be resolved (a symlink loop?)") from None
        if not resolved.is_relative_to(self.root):
            raise WorkspaceError(
                f"{raw}: outside the workspace root; only files below {self.root} can be read"
            )
        if must_exist and not resolved.exists():
            raise WorkspaceError(f"{raw}: no such file or folder in the workspace")
        return resolved

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def readable(self, cfg: config_mod.Config) -> list[Path]:
        """What a confined lint may read: the root, and the org-wide policy file the config names
        (the repository's own config chose it, not the client)."""
        allowed = [self.root]
        policy = cfg.get("policy")
        if policy:
            org = Path(policy).expanduser()
            allowed.append(org if org.is_absolute() else self.root / org)
        return allowed

    def config(self) -> config_mod.Config:
        try:
            return config_mod.load(self.root)
        except config_mod.ConfigError as exc:
            raise WorkspaceError(f"the workspace's portal-lint config is invalid: {exc}") from None

    # -- catalog --------------------------------------------------------------------------

    def catalog(self, cfg: config_mod.Config, *, url: str | None = None) -> live.CatalogSettings:
        """The catalog settings in force, as the CLI resolves them; this workspace's snapshot
        (`portal-lint mcp --snapshot`) wins over the config's."""
        return live.settings(cfg, base=live.config_base(cfg, self.root), url=url, snapshot=self.snapshot_path)

    def live_index(
        self, cfg: config_mod.Config, notices: list[str], *, url: str | None, timeout: float, retries: int
    ) -> EntityIndex | None:
        """The snapshot and the live catalog, for a question asked once (check_name); raises
        `live.LiveError` for settings that cannot work. The caller closes it (`live.close`)."""
        return live.build_index(
            self.catalog(cfg, url=url), notices, timeout=timeout, retries=retries, load=self._snapshots
        )

    # -- linting --------------------------------------------------------------------------

    def lint(
        self,
        paths: Sequence[Path],
        *,
        overlays: Mapping[Path, str] | None = None,
        select: Sequence[str] = (),
        ignore: Sequence[str] = (),
    ) -> Result:
        """Lint files of the workspace (or the in-memory `overlays` standing in for them)."""
        unknown = [t for t in (*select, *ignore) if not registry.lookup(t)]
        if unknown:
            raise WorkspaceError(
                f"unknown rule {', '.join(map(repr, unknown))}: use codes (CAT005), names "
                "(name-invalid) or families (CAT)"
            )
        cfg = self.config()
        # The snapshot only: an editor never waits on the network while the user types.
        linter = engine.Linter(
            cfg,
            self.catalog(cfg),
            cwd=self.root,
            root=self.root if self.confined else None,
            offline=True,
            load=self._snapshots,
        )
        from portal_lint.discover import UsageError

        with read_scope(overlays, confine=self.readable(cfg) if self.confined else None):
            try:
                return linter.lint([str(p) for p in paths], select=select, ignore=ignore)
            except UsageError as exc:
                raise WorkspaceError(str(exc)) from None
            finally:
                linter.close()

    def absolute(self, d: Diagnostic) -> Path:
        """The file a diagnostic is in (its path is relative to the root when below it)."""
        p = Path(d.path)
        return p if p.is_absolute() else self.root / p


def finding_json(d: Diagnostic) -> dict[str, Any]:
    """A finding as the JSON report has it, plus the fix's edits (1-based, end exclusive)."""
    from portal_lint.report.json_ import finding

    out = finding(d)
    if d.fix is not None:
        out["fix"]["edits"] = [
            {
                "line": span.line + 1,
                "column": span.col + 1,
                "end_line": span.end_line + 1,
                "end_column": span.end_col + 1,
                "replacement": text,
            }
            for span, text in d.fix.edits
        ]
    return out

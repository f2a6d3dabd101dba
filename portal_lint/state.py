"""The state the rules of one run share: the run's own (config, catalog index, notices) and,
for the repository being linted, what its rules have worked out (its policy, catalog lookups
and location, inline suppressions, and the checks' memos about its files). A repository's
state is made when the engine reaches the repository and dropped when it is done with it, so a
run over thousands of repositories holds one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from portal_lint.catalog.index import EntityIndex
    from portal_lint.config import Config
    from portal_lint.live import Lookups
    from portal_lint.parse.markdown import MdDoc
    from portal_lint.policy import Policy
    from portal_lint.registry import Rule, RuleContext
    from portal_lint.suppress import Suppressions


class RepoState:
    """What the rules know about one repository (made on first use, each part at most once)."""

    __slots__ = ("docs", "location", "lookups", "memo", "policy", "root", "suppressions")

    def __init__(self, root: Path) -> None:
        self.root = root
        self.policy: Policy | None = None
        # One batched catalog lookup for the repository's refs: (the answer,) once asked; the
        # answer is None when the run has no snapshot or catalog.
        self.lookups: tuple[Lookups | None] | None = None
        self.location: tuple[str | None] | None = None  # (managed-by-location base,) once asked
        self.suppressions: dict[Path, Suppressions] = {}  # file → its inline suppressions
        self.memo: dict[str, Any] = {}  # a check module's memos about the repository's files
        self.docs: dict[str, MdDoc] = {}  # Markdown text → its parse (see `markdown`)

    def markdown(self, text: str) -> MdDoc:
        """`text` parsed once for the repository: the policy reads the root AGENTS.md's standards
        section and the AGT rules the rest of the same parse."""
        doc = self.docs.get(text)
        if doc is None:
            # Here, not at the top: a run over catalog files alone never loads the Markdown reader.
            from portal_lint.parse.markdown import parse

            doc = self.docs[text] = parse(text)
        return doc


class Run:
    """State shared by the rules of one run (config, catalog index, the current repository's state)."""

    __slots__ = (
        "by_subject",
        "config",
        "cwd",
        "index",
        "internal_errors",
        "notices",
        "repo",
        "select",
        "strict",
    )

    def __init__(
        self,
        cwd: Path,
        config: Config,
        by_subject: dict[str, list[tuple[Rule, RuleContext]]],
        index: EntityIndex | None = None,
        strict: bool = False,
        select: tuple[str, ...] = (),
    ) -> None:
        self.cwd = cwd
        self.config = config
        self.by_subject = by_subject
        self.index = index  # when a snapshot or catalog is given
        self.strict = strict  # tests: let a rule's exception propagate instead of reporting it
        self.select = select  # the caller's own selection: rules it names run whatever the policy
        self.notices: list[str] = []
        self.internal_errors: list[str] = []
        self.repo = RepoState(cwd)  # the repository being linted (the engine lints one at a time)

    @property
    def memo(self) -> dict[str, Any]:
        """The checks' memos about the files of the repository being linted."""
        return self.repo.memo

    def state_of(self, root: Path) -> RepoState:
        """The state of the repository at `root`: the one being linted, else a fresh one that
        replaces it."""
        if self.repo.root is not root and self.repo.root != root:
            self.repo = RepoState(root)
        return self.repo

    def notice(self, text: str) -> None:
        if text not in self.notices:
            self.notices.append(text)

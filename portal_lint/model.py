"""What rules look at: source files, repositories and catalog entities."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from portal_lint.globs import matches_any
from portal_lint.parse.tree import PMap
from portal_lint.parse.yaml12 import YamlDoc, parse_yaml

if TYPE_CHECKING:
    from portal_lint.ingest import Ingest, Settings

CATALOG_NAMES = frozenset({"catalog-info.yaml", "catalog-info.yml"})
# Folders no repository wants linted: dependencies, build output, tools' caches. Other dot
# folders are walked (`.backstage/catalog-info.yaml` is a common catalogPath).
SKIP_DIRS = frozenset(
    {
        "node_modules",
        "__pycache__",
        "venv",
        "site-packages",
        "dist",
        "build",
        ".git",
        ".hg",
        ".svn",
        ".venv",
        ".tox",
        ".nox",
        ".cache",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".yarn",
        ".pnpm-store",
        ".npm",
        ".next",
        ".terraform",
        ".gradle",
        ".idea",
        ".eggs",
    }
)
# A folder named like a file portal-lint lints is listed by a scan, so it is reported, not skipped.
FILE_NAMES = CATALOG_NAMES | {"SKILL.md", "AGENTS.md", "agents.md", "AGENTS.override.md"}
# Where skills and agent files live among dot folders; elsewhere in one only catalog files count.
HIDDEN_ALLOWED = frozenset({".agents", ".codex", ".claude", ".github"})


class InputError(Exception):
    """A file that cannot be read as text; becomes a YML006/… finding, never a traceback."""


def resolves_within(path: str, root: str) -> bool:
    """Whether `path` (absolute) lies in `root` (absolute, normalised) once symlinks are resolved.

    Resolving costs a system call per component of the whole path, thousands of times a run:
    when `path` is lexically inside `root` and nothing from `path` up to `root` is a symlink,
    the answer is yes without resolving; only otherwise are both resolved."""
    if ".." not in path.split(os.sep) and lexically_within(path, root):
        step = path
        while step != root:
            if os.path.islink(step):
                break
            step = os.path.dirname(step)
        else:
            return True
    try:
        return lexically_within(os.path.realpath(path, strict=False), os.path.realpath(root))
    except (OSError, RuntimeError):  # a symlink loop, which reading reports
        return True


def lexically_within(path: str, root: str) -> bool:
    """`path` is `root` or below it, by the strings alone (both normalised)."""
    return path == root or path.startswith(root if root.endswith(os.sep) else root + os.sep)


def posix_rel(path: Path | str, base: Path | str) -> str:
    """`path` relative to `base` in POSIX form (`.` for `base` itself), or all of it when outside."""
    p, b = str(path), str(base)  # both in pathlib's normal form: string prefixes are path prefixes
    if p == b:
        return "."
    prefix = b if b.endswith(os.sep) else b + os.sep
    rel = p[len(prefix) :] if p.startswith(prefix) else p
    return rel if os.sep == "/" else rel.replace(os.sep, "/")


class SourceFile:
    # Plain classes here (equal only to themselves): a pre-commit run does not import
    # dataclasses. No __slots__: the cached properties keep their answers in __dict__.

    # A file rendered from a Template's skeleton (portal_lint.skeleton) maps its findings back to
    # the skeleton's own lines; None for a file read as it is.
    origin: Any = None

    def __init__(self, path: Path, repo: Repo, text: str = "") -> None:
        self.path = path  # absolute
        self.repo = repo
        self.text = text

    @cached_property
    def rel(self) -> str:
        """POSIX path relative to the repository root (what SARIF and policies use)."""
        return posix_rel(self.path, self.repo.root)

    @cached_property
    def norm_path(self) -> str:
        return os.path.normpath(self.path)

    @cached_property
    def lines(self) -> list[str]:
        return self.text.split("\n")


class Entity:
    """One catalog document that parsed to a mapping."""

    def __init__(self, doc: YamlDoc, file: SourceFile, memo: dict[str, Any] | None = None) -> None:
        self.doc = doc
        self.file = file
        # What rules work out about this entity and share (e.g. where its definition placeholder
        # leads); it goes when the repository's parsed files are released.
        self.memo: dict[str, Any] = {} if memo is None else memo

    @property
    def raw(self) -> PMap:
        root: PMap = self.doc.root
        return root

    @cached_property
    def metadata(self) -> PMap | None:
        m = self.raw.get("metadata")
        return m if isinstance(m, PMap) else None

    @cached_property
    def spec(self) -> PMap | None:
        s = self.raw.get("spec")
        return s if isinstance(s, PMap) else None

    @cached_property
    def kind(self) -> str | None:
        k = self.raw.get("kind")
        return k if isinstance(k, str) else None

    @property
    def name(self) -> str | None:
        n = self.metadata.get("name") if self.metadata is not None else None
        return n if isinstance(n, str) else None

    @property
    def namespace(self) -> str:
        ns = self.metadata.get("namespace") if self.metadata is not None else None
        return ns if isinstance(ns, str) and ns else "default"

    @property
    def ref(self) -> str | None:
        """`kind:namespace/name`, lower-cased as the catalog keys it; None without kind or name."""
        if not self.kind or not self.name:
            return None
        return f"{self.kind}:{self.namespace}/{self.name}".lower()

    def annotation(self, key: str) -> Any:
        ann = self.metadata.get("annotations") if self.metadata is not None else None
        return ann.get(key) if isinstance(ann, dict) else None


class Repo:
    """A repository: the nearest folder holding `.git`, or the folder the user pointed at."""

    def __init__(self, root: Path, settings: Settings | None = None) -> None:
        from portal_lint.ingest import Settings

        self.root = root
        self.settings = settings or Settings()
        self._parsed: dict[Path, CatalogFile | InputError] = {}
        self._files: list[str] | None = None
        self._ingest: Ingest | None = None
        self._entities: list[Entity] | None = None

    @property
    def exclude(self) -> tuple[str, ...]:
        """The config's `exclude` patterns (gitignore semantics): files the run never sees."""
        return self.settings.exclude

    def load_catalog(self, path: Path) -> CatalogFile:
        """Read and parse a catalog file once per run; raises InputError for unreadable ones."""
        got = self._parsed.get(path)
        if got is None:
            try:
                sf = SourceFile(path, self, self.read(path))
                docs = parse_yaml(sf.text)
                got = CatalogFile(
                    sf, docs, [Entity(d, sf) for d in docs if d.ok and isinstance(d.root, PMap)]
                )
            except InputError as exc:
                got = exc
            self._parsed[path] = got
        if isinstance(got, InputError):
            raise got
        return got

    def read(self, path: Path) -> str:
        """A file of this repository as text (`read_text`), refused when a symlink leads out of
        the repository: its content must never show in a finding."""
        if self._escapes(path):
            raise InputError("is a symlink to a file outside the repository: not followed")
        return read_text(path)

    @cached_property
    def norm_root(self) -> str:
        """The root, lexically normalised (`portal-lint ../svc` gives roots holding `..`)."""
        return os.path.normpath(self.root)

    def _escapes(self, path: Path) -> bool:
        """Whether `path` resolves (through a symlink) to a file outside the repository."""
        return not resolves_within(str(path), self.norm_root)

    def files(self) -> list[str]:
        """Every regular file of the repository (POSIX, relative to the root), without the
        folders no repository wants linted and without repositories nested in this one."""
        if self._files is None:
            prefix = os.path.join(str(self.root), "")
            files = walk_repos(str(self.root)).get(str(self.root), [])
            self._files = [p[len(prefix) :].replace(os.sep, "/") for p, is_file in files if is_file]
        return self._files

    def seed_files(self, files: list[str]) -> None:
        """The files a walk of the whole repository already found (saves walking it again)."""
        self._files = files

    def ingest(self) -> Ingest:
        """Which files Backstage reads from this repository, and why (portal_lint.ingest)."""
        if self._ingest is None:
            from portal_lint.ingest import Ingest

            self._ingest = Ingest(self, self.files(), self.settings)
        return self._ingest

    def catalog_paths(self) -> list[Path]:
        """The conventionally named catalog files Backstage reads (not a skeleton's), also those a
        pre-commit run did not pass."""
        names = self.settings.names
        ingest = self.ingest()
        return sorted(self.root / rel for rel in ingest.catalog if rel.rsplit("/", 1)[-1] in names)

    def excluded(self, path: Path) -> bool:
        if not self.exclude or not path.is_relative_to(self.root):
            return False
        return matches_any(path.relative_to(self.root).as_posix(), self.exclude)

    def entities(self) -> list[Entity]:
        """Entities of every catalog file Backstage reads from the repository, and of the files the
        run was given (parsed once, shared by rules)."""
        if self._entities is None:
            out: list[Entity] = []
            ingest = self.ingest()
            reached = [self.root / rel for rel, how in ingest.catalog.items() if how.how != "unreached"]
            for path in dict.fromkeys([*reached, *self._parsed]):
                rel = posix_rel(path, self.root)
                reach = ingest.catalog.get(rel)
                if rel in ingest.skipped or (reach is not None and reach.how == "unreached"):
                    continue  # template input, or a file the catalog never reads: never an entity
                try:
                    out.extend(self.load_catalog(path).entities)
                except InputError:
                    continue
            self._entities = out
        return self._entities

    def release(self) -> None:
        """Forget what was read and parsed (a long run keeps one repository at a time)."""
        self._parsed.clear()
        self._files = None
        self._ingest = None
        self._entities = None

    def exists(self, rel: str) -> bool:
        return (self.root / rel).exists()


class CatalogFile:
    __slots__ = ("docs", "entities", "source")

    def __init__(self, source: SourceFile, docs: list[YamlDoc], entities: list[Entity]) -> None:
        self.source = source
        self.docs = docs
        self.entities = entities


MAX_BYTES = 10 * 1024 * 1024


class _ReadScope(NamedTuple):
    overlays: dict[Path, str]
    confine: tuple[Path, ...] | None
    record: dict[Path, str] | None


# Set by editors and agents (LSP, MCP) around a lint: unsaved texts and the folder reads must stay in.
_READ_SCOPE: ContextVar[_ReadScope | None] = ContextVar("portal_lint_read_scope", default=None)


@contextmanager
def read_scope(
    overlays: Mapping[Path, str] | None = None,
    confine: Sequence[Path] | None = None,
    record: dict[Path, str] | None = None,
) -> Iterator[None]:
    """Within the block, `read_text` returns `overlays[path]` instead of the file on disk (so
    unsaved or proposed text is linted, also where the file does not exist yet) and, when
    `confine` is given, refuses files that resolve outside those folders or files (symlinks
    out of a workspace). `record` receives the text of each file read from disk, BOM
    included, exactly as linted (what `--fix` edits, so a file changed since is noticed)."""
    scope = _ReadScope(
        {Path(os.path.abspath(p)): t for p, t in (overlays or {}).items()},
        tuple(p.resolve() for p in confine) if confine is not None else None,
        record,
    )
    token = _READ_SCOPE.set(scope)
    try:
        yield
    finally:
        _READ_SCOPE.reset(token)


def overlay_text(path: Path) -> str | None:
    """The in-memory text standing in for `path` in the current read scope, if any."""
    scope = _READ_SCOPE.get()
    return None if scope is None else scope.overlays.get(Path(os.path.abspath(path)))


def read_text(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """UTF-8 text of a file, or InputError saying in one line why it is not lintable."""
    text = overlay_text(path)
    if text is not None:
        # An editor's unsaved buffer is held to what the file would be: same limits, same verdicts.
        if len(text) > max_bytes // 4 and len(text.encode("utf-8", "surrogatepass")) > max_bytes:
            size = len(text.encode("utf-8", "surrogatepass"))
            raise InputError(f"file is {size / 1048576:.1f} MiB, over the {max_bytes // 1048576} MiB limit")
        if "\0" in text:
            raise InputError("contains NUL bytes: it looks like a binary file")
        return _as_read(text)
    scope = _READ_SCOPE.get()
    if scope is not None and scope.confine is not None:
        try:
            real = path.resolve()
            inside = any(real.is_relative_to(allowed) for allowed in scope.confine)
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop
            inside = False
        if not inside:
            raise InputError("resolves outside the workspace root (a symlink?): not read")
    try:
        # One open and one fstat, no stat by name first: non-blocking, so a FIFO does not hang the
        # open; its fstat then says it is no regular file, as for a directory or /dev/zero.
        try:
            fd = os.open(path, _READ_FLAGS)
        except OSError:
            fd = -1  # e.g. a socket cannot be opened: stat it by name, below, to say what it is
        try:
            mode_size = os.fstat(fd) if fd >= 0 else path.stat()
            mode = mode_size.st_mode
            if stat.S_ISDIR(mode) and fd < 0:
                raise InputError(
                    "is a folder portal-lint cannot read (permission denied): the catalog files, "
                    "skills and AGENTS.md in it were not linted"
                )
            if stat.S_ISDIR(mode):
                raise InputError("is a directory, not a file")
            if not stat.S_ISREG(mode):  # a FIFO would block the run, /dev/zero never end
                raise InputError("is not a regular file (a pipe, socket or device): not read")
            if fd < 0:
                fd = os.open(path, _READ_FLAGS)  # raises the error the first open hit
            size = mode_size.st_size
            data = b""
            if size <= max_bytes:
                # A read of `max_bytes` allocates that much up front (10 MiB per file): read the
                # size on disk plus one byte, and only when the file grew since the stat, the rest
                # up to one byte past the limit.
                data = _read_upto(fd, size + 1)
                if len(data) > size:
                    data += _read_upto(fd, max_bytes + 1 - len(data))
        finally:
            if fd >= 0:
                os.close(fd)
        if size > max_bytes or len(data) > max_bytes:
            size = max(size, len(data))
            raise InputError(f"file is {size / 1048576:.1f} MiB, over the {max_bytes // 1048576} MiB limit")
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror or exc}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("is UTF-16; Backstage reads catalog files as UTF-8: re-save it as UTF-8")
    if b"\0" in data:
        raise InputError("contains NUL bytes: it looks like a binary file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"is not valid UTF-8 (first bad byte on line {line}): re-save it as UTF-8") from None
    if scope is not None and scope.record is not None:
        scope.record.setdefault(Path(os.path.abspath(path)), text)
    return _as_read(text)


_READ_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
)


def _read_upto(fd: int, n: int) -> bytes:
    """Up to `n` bytes, fewer only at the end of the file (os.read may return less than asked)."""
    parts = []
    while n > 0:
        chunk = os.read(fd, n)
        if not chunk:
            break
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def _as_read(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _descend(name: str) -> bool:
    return name not in SKIP_DIRS


def walk(root: Path) -> list[Path]:
    """Files below root, without following directory symlinks (no loops, no escapes).

    A directory named like a catalog file is listed too, so it is reported, not skipped."""
    out: list[Path] = []
    stack = [str(root)]
    while stack:
        top = stack.pop()
        try:
            entries = list(os.scandir(top))
        except OSError:
            continue
        for e in entries:
            name = e.name
            try:
                if e.is_dir(follow_symlinks=False):
                    if name in FILE_NAMES:
                        out.append(Path(e.path))
                    if _descend(name):
                        stack.append(e.path)
                else:  # also symlinks (to loops, or nowhere) and pipes: reading them says what is wrong
                    out.append(Path(e.path))
            except OSError:
                continue
    return out


def walk_repos(top: str, one_repo: bool = False) -> dict[str, list[tuple[str, bool]]]:
    """`walk(top)` in one pass, files grouped by repository: the nearest folder at or below
    `top` holding `.git`, else `top` (all in `top` when `one_repo`). Each file comes with
    whether it is a regular file (through a symlink too). A folder that cannot be listed
    (permissions) is listed itself, so reading it says what is wrong instead of its files
    silently missing."""
    out: dict[str, list[tuple[str, bool]]] = {}
    stack = [(top, top)]
    while stack:
        folder, repo = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except PermissionError:
            if folder != top:
                out.setdefault(repo, []).append((folder, False))
            continue
        except OSError:
            continue
        if not one_repo and any(e.name == ".git" and _exists(e) for e in entries):
            repo = folder
        files = out.setdefault(repo, [])
        for e in entries:
            name = e.name
            try:
                if e.is_dir(follow_symlinks=False):
                    if name in FILE_NAMES:
                        files.append((e.path, False))
                    if _descend(name):
                        stack.append((e.path, repo))
                else:  # as in walk(): a symlink loop or a pipe is listed, reading it says what is wrong
                    files.append((e.path, _is_file(e)))
            except OSError:
                continue
    return out


def _exists(entry: os.DirEntry[str]) -> bool:
    """Path.exists() without a system call for a plain folder or file (the directory listing's type)."""
    try:
        return entry.is_dir() or entry.is_file() or os.path.exists(entry.path)
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:  # a symlink loop
        return False

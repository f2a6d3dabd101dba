"""Files written whole or not at all: `--fix`, `-o`/`--report`, `audit -o`, `catalog export`.

The content goes to a temporary file in the same folder, which then replaces the target in
one rename, so a reader (or a crash, a full disk, a catalog failing halfway through a report)
sees the old file or the new one, never half of one and never an empty one.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[IO[str]]:
    """A text stream (UTF-8, line ends as written) that becomes `path` when the block ends
    without an exception; on an exception the target is untouched and the temporary file
    removed. An existing target keeps its permissions (and owner, where allowed); a symlink
    stays one, its target replaced."""
    real = path.resolve()
    try:
        old: os.stat_result | None = real.stat()
    except FileNotFoundError:
        old = None
    # Imported here: tempfile brings shutil, random, bz2 and lzma (~4 ms), and most runs,
    # a pre-commit run over one file among them, write nothing.
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".portal-lint.tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp's 0600 would surprise whoever shares or commits a new report.
        os.chmod(tmp, stat.S_IMODE(old.st_mode) if old is not None else 0o666 & ~_umask())
        if old is not None and (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
            # Only root may give a file away; elsewhere the content is what matters.
            with contextlib.suppress(PermissionError):
                os.chown(tmp, old.st_uid, old.st_gid)
        os.replace(tmp, real)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is not None:
            # Name the file the user asked for, not the temporary one (`out.json: Is a directory`).
            exc.filename, exc.filename2 = str(path), None
        raise


def write_text(path: Path, text: str) -> None:
    with replacing(path) as fh:
        fh.write(text)


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it: set it straight back
    os.umask(mask)
    return mask

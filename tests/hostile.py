"""A corpus of hostile inputs, each a small repository with the outcome a user must see.

`build(root)` writes every case below `root/<case>/` (a folder with `.git`, so it is a
repository) and returns them; `python -m tests.hostile DIR` writes the corpus for a manual
look. Each case names the exact set of rule codes the lint must report for it (empty: the
file lints clean), a fragment of the message, and the exit code: 0 clean, 1 findings,
2 usage error (docs/trust.md).
"""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CATALOG = "catalog-info.yaml"
GOOD = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  description: {description}
spec:
  type: service
  lifecycle: production
  owner: group:default/team-payments
  system: commerce
"""
SECRET = "hostile-corpus-secret-7f3a"  # must never show up in portal-lint's output
OUTSIDE = "outside.yaml"  # written next to the case folders, i.e. outside every repository


def good(description: str = "Takes payments.") -> str:
    return GOOD.format(description=description)


@dataclass(frozen=True)
class Case:
    name: str
    write: Callable[[Path], None]  # fills the repository folder it is given
    codes: frozenset[str]  # exactly the codes reported for the case
    fragment: str = ""  # in the message of the finding (or in stderr for exit 2)
    exit_code: int = 1
    target: str = CATALOG  # what the command line names, relative to the repository; "." scans it
    drop_privileges: bool = False  # root reads any file: run without CAP_DAC_OVERRIDE
    at: tuple[int, int] | None = None  # (line, column) of the finding, where it matters

    @property
    def clean(self) -> bool:
        return not self.codes and self.exit_code == 0


def _bytes(data: bytes, name: str = CATALOG) -> Callable[[Path], None]:
    return lambda repo: (repo / name).write_bytes(data)


def _text(text: str, name: str = CATALOG) -> Callable[[Path], None]:
    return _bytes(text.encode("utf-8"), name)


def _binary(repo: Path) -> None:
    rng = random.Random(9)
    (repo / CATALOG).write_bytes(bytes(rng.randrange(256) for _ in range(4096)))


def _huge(repo: Path) -> None:
    # Sparse: 50 MB on the size check, nothing on disk; a reader that read it all would see NULs.
    with (repo / CATALOG).open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)


def _deep_block_map(depth: int) -> str:
    return "".join(f"{'  ' * i}k{i}:\n" for i in range(depth)) + "  " * depth + "leaf\n"


def _alias_bomb() -> str:
    # Billion laughs: nine levels of nine aliases each, 387 million nodes once expanded.
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _symlink(target: str | Callable[[Path], Path], name: str = CATALOG) -> Callable[[Path], None]:
    def write(repo: Path) -> None:
        dest = target(repo) if callable(target) else target
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(dest, repo / name)

    return write


def _outside(repo: Path) -> Path:
    path = repo.parent / OUTSIDE
    path.write_text(f"apiVersion: {SECRET}\n", encoding="utf-8")
    return path


def _outside_markdown(repo: Path) -> Path:
    """A SKILL.md or AGENTS.md somewhere else: frontmatter, a command and a link that must not show."""
    path = repo.parent / f"{repo.name}.md"
    path.write_text(
        f"---\nname: {SECRET}\ndescription: Use when: {SECRET}\n---\n# Build\n\n"
        f"Run `make {SECRET}` and read [the guide](./{SECRET}.md).\n",
        encoding="utf-8",
    )
    return path


def _fifo(repo: Path) -> None:
    os.mkfifo(repo / CATALOG)


def _unreadable(repo: Path) -> None:
    path = repo / CATALOG
    path.write_text(good(), encoding="utf-8")
    path.chmod(0)


def _unreadable_folder(repo: Path) -> None:
    (repo / CATALOG).write_text(good(), encoding="utf-8")
    folder = repo / ".claude" / "skills"
    (folder / "pdf").mkdir(parents=True)
    (folder / "pdf" / "SKILL.md").write_text("---\nname: pdf\n---\n", encoding="utf-8")
    folder.chmod(0)


def _directory(repo: Path) -> None:
    (repo / CATALOG).mkdir()
    (repo / CATALOG / "README.md").write_text("not a catalog file\n", encoding="utf-8")


def _dir_symlink_loop(repo: Path) -> None:
    (repo / CATALOG).write_text(good(), encoding="utf-8")
    (repo / "docs").mkdir()
    os.symlink("..", repo / "docs" / "loop")


def _many_documents(repo: Path) -> None:
    doc = good().replace("name: payments", "name: payments-{i}")
    (repo / CATALOG).write_text("---\n".join(doc.format(i=i) for i in range(2000)), encoding="utf-8")


YML006 = frozenset({"YML006"})
CASES: tuple[Case, ...] = (
    Case("binary", _binary, YML006, "NUL bytes"),
    Case("nul-byte", _bytes(good().encode().replace(b"Takes", b"Ta\0kes")), YML006, "NUL bytes"),
    Case(
        "non-utf8",
        _bytes(good("Caf\xe9 payments.").encode("latin-1")),
        YML006,
        "not valid UTF-8 (first bad byte on line 5)",
    ),
    Case("utf8-bom", _bytes(b"\xef\xbb\xbf" + good().encode()), frozenset(), exit_code=0),
    # The BOM must not shift positions: the bad name is reported at 4:9, as without a BOM.
    Case(
        "utf8-bom-finding",
        _bytes(b"\xef\xbb\xbf" + good().replace("name: payments", "name: -payments").encode()),
        frozenset({"CAT005"}),
        "-payments",
        at=(4, 9),
    ),
    # YAML 1.1 (libyaml) breaks lines at U+2028/U+2029/NEL; YAML 1.2 and editors do not.
    Case(
        "unicode-line-separators",
        _text("# owners\u2028and\u2029notes\x85here\n" + good().replace("name: payments", "name: -payments")),
        frozenset({"CAT005"}),
        "-payments",
        at=(5, 9),
    ),
    # A lone CR ends no line for Backstage's parser: the whole file is one broken line to it too.
    Case("old-mac-line-ends", _text(good().replace("\n", "\r")), frozenset({"YML001"}), "mapping values"),
    Case("utf16", _bytes(good().encode("utf-16")), YML006, "UTF-16"),
    Case("utf16-no-bom", _bytes(good().encode("utf-16-le")), YML006, "NUL bytes"),
    Case("empty", _bytes(b""), frozenset(), exit_code=0),
    Case("only-comments", _text("# nothing here yet\n\n   # still nothing\n"), frozenset(), exit_code=0),
    Case("huge-50mb", _huge, YML006, "over the 10 MiB limit"),
    Case("deep-flow-10000", _text("[" * 10_000 + "]" * 10_000 + "\n"), YML006, "deeper than 200"),
    Case("deep-unclosed-1m", _text("{a: " * 1_000_000), YML006, "deeper than 200"),
    Case("deep-compact-10000", _text("- " * 10_000 + "x\n"), YML006, "deeper than 200"),
    Case("deep-block-1000", _text(_deep_block_map(1000)), YML006, "deeper than 200"),
    Case("alias-bomb", _text(_alias_bomb()), YML006, "alias bomb"),
    # YAML 1.2 (and Backstage) let an anchor be defined again; libyaml alone refuses.
    Case(
        "anchor-redefined",
        _text(good().replace("name: payments", "name: &n payments\n  title: &n Payments")),
        frozenset(),
        exit_code=0,
    ),
    Case("alias-recursive", _text("a: &a [1, *a]\n"), YML006, "refers to the node that contains it"),
    Case("long-line-5mb", _text(good("x" * 5_000_000)), frozenset(), exit_code=0),
    Case("control-characters", _text(good("bell \x07 here")), frozenset({"YML001"}), "control characters"),
    Case("symlink-loop", _symlink(CATALOG), YML006, "symbolic links"),
    Case("symlink-dangling", _symlink("gone.yaml"), YML006, "cannot be read"),
    Case("symlink-out-of-repo", _symlink(_outside), YML006, "outside the repository"),
    Case("symlink-dev-zero", _symlink("/dev/zero"), YML006, "outside the repository"),
    Case("symlink-out-scanned", _symlink(_outside), YML006, "outside the repository", target="."),
    Case(
        "skill-symlink-out-of-repo",
        _symlink(_outside_markdown, ".claude/skills/pdf/SKILL.md"),
        frozenset({"SKL002"}),
        "outside the repository",
        target=".",
    ),
    Case(
        "agents-symlink-out-of-repo",
        _symlink(_outside_markdown, "AGENTS.md"),
        frozenset({"AGT001"}),
        "outside the repository",
        exit_code=0,  # AGT001 is a warning
        target=".",
    ),
    Case("fifo", _fifo, YML006, "not a regular file"),
    Case("unreadable", _unreadable, YML006, "Permission denied", drop_privileges=True),
    Case(
        "unreadable-folder",
        _unreadable_folder,
        YML006,
        "cannot read (permission denied)",
        drop_privileges=True,
        target=".",
    ),
    Case("directory-named-catalog", _directory, YML006, "is a directory"),
    Case("directory-named-catalog-scanned", _directory, YML006, "is a directory", target="."),
    Case("directory-symlink-loop", _dir_symlink_loop, frozenset(), exit_code=0, target="."),
    Case(
        "directory-named-skill",
        lambda repo: (repo / ".claude" / "skills" / "pdf" / "SKILL.md").mkdir(parents=True),
        frozenset({"SKL002"}),
        "is a directory",
        target=".",
    ),
    Case(
        "directory-named-agents",
        lambda repo: (repo / "AGENTS.md").mkdir(),
        frozenset({"AGT001"}),
        "is a directory",
        exit_code=0,  # AGT001 is a warning
        target=".",
    ),
    Case("many-documents-2000", _many_documents, frozenset(), exit_code=0),
    # An unclosed code fence of 50,000 commands no Makefile defines: 200 findings and one line
    # saying more were cut, not 50,000 (each with a "did you mean").
    Case(
        "agents-50000-unknown-commands",
        _text(
            "# Agents\n\n## Build\n\n```sh\n" + "".join(f"make t{i}\n" for i in range(50_000)), "AGENTS.md"
        ),
        frozenset({"AGT003", "AGT006"}),
        "not listed: portal-lint lists the first 200 of a rule per file",
        exit_code=0,
        target=".",
    ),
    Case("missing-path", lambda repo: None, frozenset(), "no such file or directory", exit_code=2),
)


def build(root: Path) -> list[Case]:
    """Write every case to `root/<name>/` (a repository of its own) and return the cases."""
    for case in CASES:
        repo = root / case.name
        (repo / ".git").mkdir(parents=True)
        case.write(repo)
    return list(CASES)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.hostile DIR")
    for case in build(Path(sys.argv[1])):
        print(f"{case.name}: {' '.join(sorted(case.codes)) or 'clean'} (exit {case.exit_code})")

"""`portal-lint init [PATH]`: adopt the portal standards in one command.

Writes the built-in standards as an editable standards section into AGENTS.md (creating the
file, or adding the section to it), a `.portal-lint.yaml` and a pre-commit entry; leaves
alone what already exists. From then on the policy is the team's own text, and its findings
are errors (until then the built-in standards are warnings).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from portal_lint import __version__
from portal_lint.commands import Parser
from portal_lint.commands._repo import repo_and_config
from portal_lint.policy import AGENTS_FILE, STANDARDS, load_policy

CONFIG_FILE = ".portal-lint.yaml"
PRE_COMMIT_FILE = ".pre-commit-config.yaml"

CONFIG_TEXT = """\
# portal-lint (see docs/configuration.md). The standards themselves are the bullets of the
# "Developer Portal Standards" section of AGENTS.md: edit them there.
fail-on: error
"""

PRE_COMMIT_ENTRY = f"""\
  - repo: https://github.com/portal-lint/portal-lint
    rev: v{__version__}
    hooks:
      - id: portal-lint
"""


def standards_section(heading: str) -> str:
    """The built-in standards as a section to edit: what is enforced without one, verbatim."""
    bullets = [f"- {d.builtin}" for d in STANDARDS if d.builtin is not None and d.by_default]
    return f"## {heading}\n\n" + "\n".join(bullets) + "\n"


def _agents(root: Path, heading: str) -> str:
    path = root / AGENTS_FILE
    section = standards_section(heading)
    if not path.exists():
        path.write_text(f"# {root.name}\n\n{section}", encoding="utf-8")
        return f"created {AGENTS_FILE} with the standards section (edit its bullets: they are the policy)"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + "\n\n" + section, encoding="utf-8")
    return f"added the standards section to {AGENTS_FILE} (edit its bullets: they are the policy)"


def _pre_commit(root: Path) -> str:
    path = root / PRE_COMMIT_FILE
    if not path.exists():
        path.write_text("repos:\n" + PRE_COMMIT_ENTRY, encoding="utf-8")
        return f"created {PRE_COMMIT_FILE} with the portal-lint hook"
    if "portal-lint" in path.read_text(encoding="utf-8"):
        return f"{PRE_COMMIT_FILE} already runs portal-lint"
    # Editing someone's YAML by hand risks breaking it: say what to add instead.
    return f"{PRE_COMMIT_FILE} exists: add this entry under `repos:`\n{PRE_COMMIT_ENTRY.rstrip()}"


def main(argv: Sequence[str]) -> int:
    p = Parser(
        prog="portal-lint init",
        description="Adopt the portal standards: AGENTS.md standards section, config, pre-commit hook.",
    )
    p.add_argument(
        "path", nargs="?", default=".", help="a folder of the repository (default: the current one)"
    )
    args = p.parse_args(argv)
    found = repo_and_config(args.path)
    if found is None:
        return 2
    root, cfg = found
    policy = load_policy(root, cfg)
    done = []
    if policy.declared:
        where = ", ".join(s.label for s in policy.sections)
        done.append(f"the standards are already declared ({where}): AGENTS.md left as it is")
    else:
        done.append(_agents(root, cfg.get("standards-heading")))
    if cfg.source == "defaults":
        (root / CONFIG_FILE).write_text(CONFIG_TEXT, encoding="utf-8")
        done.append(f"created {CONFIG_FILE}")
    else:
        done.append(f"config {cfg.source} left as it is")
    done.append(_pre_commit(root))
    print("\n".join(f"portal-lint init: {line}" for line in done))
    print("Run `portal-lint policy` to see the standards in force, `portal-lint` to check them.")
    return 0

"""Sub-commands of the CLI besides linting, one module each, and the argument parser they share.

Imported only for a command or for help and usage errors: a plain `portal-lint FILE...` reads
its arguments without argparse (see `cli._quick_args`).
"""

from __future__ import annotations

import argparse
import difflib
import re
from typing import NoReturn


class Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors: what is wrong, a close match for a misspelt option,
    and where the help is, instead of the whole usage block above the message."""

    def error(self, message: str) -> NoReturn:
        hint = ""
        unknown = re.match(r"unrecognized arguments: (-\S+)", message)
        if unknown:
            options = [o for a in self._actions for o in a.option_strings if o.startswith("--")]
            close = difflib.get_close_matches(unknown.group(1).split("=")[0], options, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
        self.exit(2, f"{self.prog}: error: {message}{hint}; see `{self.prog} --help`\n")

"""`portal-lint catalog-hook [FILES...]`: the live-catalog pre-commit hook.

The catalog URL comes from the environment, so one `.pre-commit-config.yaml` serves people with
and without catalog access: without `PORTAL_LINT_CATALOG_URL` the hook passes with one short
line (shown by `pre-commit run -v`), instead of failing every commit made offline. The token
is read from `PORTAL_LINT_TOKEN` by the catalog client itself and never passes through argv.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from portal_lint.live import CATALOG_URL_ENV as URL_ENV
from portal_lint.live import TOKEN_ENV


def main(argv: Sequence[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        from portal_lint.commands import Parser

        Parser(
            prog="portal-lint catalog-hook",
            usage="%(prog)s [options] [FILES ...]",
            description="The live-catalog pre-commit hook: `portal-lint --catalog-url "
            f"${URL_ENV} [options] FILES`, run only when {URL_ENV} is set (else it passes and says "
            f"it skipped). The token is read from {TOKEN_ENV}.",
            epilog="Options are the lint command's: see `portal-lint --help`.",
        ).print_help()
        return 0
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        print(f"portal-lint catalog-hook: skipped ({URL_ENV} is not set)")
        return 0
    from portal_lint.cli import lint_main

    return lint_main(["--catalog-url", url, *argv])

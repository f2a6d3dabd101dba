"""`portal-lint catalog-hook [FILES...]`: the live-catalog pre-commit hook.

The catalog URL comes from the environment, so one `.pre-commit-config.yaml` serves people with
and without catalog access: without `PORTAL_LINT_CATALOG_URL` the hook says it skipped and
passes, instead of failing every commit made offline. The token is read from
`PORTAL_LINT_TOKEN` by the catalog client itself and never passes through argv.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from portal_lint.live import CATALOG_URL_ENV as URL_ENV
from portal_lint.live import TOKEN_ENV


def main(argv: Sequence[str]) -> int:
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        print(
            f"portal-lint catalog-hook: skipped: {URL_ENV} is not set, so nothing was checked against the "
            f"live catalog. Set it (and {TOKEN_ENV} if your catalog needs a token) to enable these checks."
        )
        return 0
    from portal_lint.cli import lint_main

    return lint_main(["--catalog-url", url, *argv])

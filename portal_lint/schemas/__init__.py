"""JSON Schemas that ship with portal-lint, read from the package on first use.

`Template.v1beta3.schema.json` is `@backstage/plugin-scaffolder-common`'s schema of the
scaffolder's Template kind, byte for byte as its package exports it (see README.md here for
its origin and licence; a test compares it with the installed npm package).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TEMPLATE_V1BETA3 = HERE / "Template.v1beta3.schema.json"


@cache
def template_v1beta3() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TEMPLATE_V1BETA3.read_text(encoding="utf-8"))
    return data


def template_spec() -> dict[str, Any]:
    """The schema of a Template's `spec` (the part the entity envelope rules do not cover)."""
    spec: dict[str, Any] = template_v1beta3()["allOf"][1]["properties"]["spec"]
    return spec

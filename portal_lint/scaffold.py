"""What a scaffolder Template says about the files around it: the folders its fetch steps read.

Shared by discovery (those folders are template input, never catalog files) and the Template
checks (which render the skeletons they hold). Works on plain parsed data, so it sits low in
the layers: it knows nothing of rules or findings.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

TEMPLATE_API_VERSION = "scaffolder.backstage.io/v1beta3"
# Actions that download the folder named by their `url` input; the built-in ones and the
# cookiecutter / rails / yeoman modules that take the same input.
FETCH_ACTIONS = frozenset(
    {
        "fetch:template",
        "fetch:template:file",
        "fetch:plain",
        "fetch:plain:file",
        "fetch:cookiecutter",
        "fetch:rails",
    }
)


class FetchStep(NamedTuple):
    position: int  # index in spec.steps
    step_id: str | None
    action: str
    url: str  # as written
    folder: Path | None  # the local folder (or file) it names, None for an absolute URL or expression
    inputs: Mapping[str, Any]  # the step's whole `input` (values, cookiecutterCompat, copyWithout…)


def is_template(data: Mapping[str, Any]) -> bool:
    api_version = str(data.get("apiVersion", ""))
    return data.get("kind") == "Template" and api_version.startswith("scaffolder.backstage.io/")


def fetch_steps(data: Mapping[str, Any], template_path: Path) -> Iterator[FetchStep]:
    """Each fetch step of a Template entity (its parsed mapping), with the local path its `url` names.

    The scaffolder resolves a relative `url` against the Template file's own location."""
    spec = data.get("spec")
    steps = spec.get("steps") if isinstance(spec, Mapping) else None
    if not isinstance(steps, list):
        return
    for i, step in enumerate(steps):
        if not isinstance(step, Mapping):
            continue
        action = step.get("action")
        inputs = step.get("input")
        if not isinstance(action, str) or action not in FETCH_ACTIONS or not isinstance(inputs, Mapping):
            continue
        url = inputs.get("url")
        if not isinstance(url, str) or not url.strip():
            continue
        step_id = step.get("id") if isinstance(step.get("id"), str) else None
        yield FetchStep(i, step_id, str(action), url, local_folder(url, template_path), inputs)


def local_folder(url: str, template_path: Path) -> Path | None:
    """The local path a fetch `url` names, or None when it is a URL or an expression."""
    if "://" in url or "${{" in url or url.startswith(("/", "~")):
        return None
    return Path(os.path.normpath(template_path.parent / url))


def present(path: Path) -> bool:
    """Whether a folder or file a step names exists (a name no file system accepts: no)."""
    try:
        return path.exists()
    except (OSError, ValueError):  # a NUL byte, a name too long
        return False

"""Ask Backstage's own packages for their verdict on every case; write verdicts.json.

    python -m tests.differential.record                 # starts a backend (tests/live), records, stops it
    PORTAL_BACKSTAGE_TOKEN=… python -m tests.differential.record --url http://127.0.0.1:7007

Every case (each generated entity as its own catalog file, and the whole-file cases of
generate.file_cases) goes through judge.js, the one oracle: the catalog's file parser, the
checks of its processing output collector, its placeholder processor, `POST
/api/catalog/validate-entity` on the running backend, and the stitcher's key check. The table
keeps, per case id, the verdict, the first rejection and a digest of the case.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.differential.generate import LOCATION, FileCase, case_digest, cases

HERE = Path(__file__).resolve().parent
VERDICTS = HERE / "verdicts.json"
ROOT = HERE.parents[1]
NODE_MODULES = ROOT / ".cache" / "backstage" / "node_modules"
JUDGE = HERE / "judge.js"
# Every format error ends with the same pointer to an ADR; it says nothing about the entity.
_ADR = re.compile(r"\s*To learn more about catalog file format, visit: \S+")


class ServerError(RuntimeError):
    """The judge or the backend answered something other than verdicts."""


def run_judge(request: Mapping[str, Any], token: str = "", node_modules: Path = NODE_MODULES) -> Any:
    """judge.js's answer to one request (see its header), run by node from the installed backend."""
    proc = subprocess.run(
        ["node", str(JUDGE)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogatepass",
        timeout=600,
        env={**os.environ, "NODE_PATH": str(node_modules), "BACKSTAGE_TOKEN": token},
        check=False,
    )
    if proc.returncode != 0:
        raise ServerError(proc.stderr.strip()[-500:])
    return json.loads(proc.stdout)


def ask(url: str, token: str, todo: Mapping[str, FileCase]) -> dict[str, dict[str, Any]]:
    """id → {valid, message, digest} for every case in `todo`."""
    found = run_judge({"mode": "judge", "url": url, "cases": list(todo.values())}, token)
    return {
        key: {
            "valid": v["valid"],
            "message": _ADR.sub("", v["message"]) if v["message"] else None,
            "digest": case_digest(case),
        }
        for (key, case), v in zip(todo.items(), found, strict=True)
    }


def backend_versions() -> dict[str, str]:
    """Versions of the packages that decide validity, as installed for the backend."""
    modules = ROOT / ".cache" / "backstage" / "node_modules" / "@backstage"
    out = {}
    for name in ("catalog-model", "plugin-catalog-backend", "plugin-scaffolder-common", "backend-defaults"):
        try:
            out[f"@backstage/{name}"] = json.loads((modules / name / "package.json").read_text())["version"]
        except (OSError, ValueError, KeyError):
            out[f"@backstage/{name}"] = "unknown"
    return out


@contextmanager
def _backend(url: str | None) -> Iterator[tuple[str, str]]:
    if url is not None:
        token = os.environ.get("PORTAL_BACKSTAGE_TOKEN")
        if not token:
            sys.exit("record: set PORTAL_BACKSTAGE_TOKEN to the backend's static token")
        yield url, token
        return
    sys.path.insert(0, str(ROOT / "tests" / "live"))
    from backstage_backend import running

    with running(name="differential") as backend:
        yield backend.url, backend.token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running backend (default: start one from tests/live)")
    parser.add_argument("--output", type=Path, default=VERDICTS)
    args = parser.parse_args(argv)
    todo = cases()
    with _backend(args.url) as (url, token):
        began = time.monotonic()
        table = ask(url, token, todo)
        seconds = time.monotonic() - began
    doc = {
        "location": LOCATION,
        "judge": "judge.js: parseEntityYaml, the output collector's checks, PlaceholderProcessor, "
        "validate-entity, buildEntitySearch",
        "backend": backend_versions(),
        "verdicts": dict(sorted(table.items())),
    }
    args.output.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    invalid = sum(not v["valid"] for v in table.values())
    print(f"{len(table)} verdicts ({invalid} invalid) in {seconds:.1f} s -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Ask the real Backstage backend for its verdict on every generated entity; write verdicts.json.

    python -m tests.differential.record                 # starts a backend (tests/live), records, stops it
    PORTAL_BACKSTAGE_TOKEN=… python -m tests.differential.record --url http://127.0.0.1:7007

Each entity goes to `POST /api/catalog/validate-entity` with the loopback location of
generate.LOCATION: 200 is valid, 400 invalid with the server's first error. The table
keeps, per entity id, the verdict, that message and a digest of the entity sent.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.differential.generate import LOCATION, Entity, digest, entities

HERE = Path(__file__).resolve().parent
VERDICTS = HERE / "verdicts.json"
ROOT = HERE.parents[1]
# Every format error ends with the same pointer to an ADR; it says nothing about the entity.
_ADR = re.compile(r"\s*To learn more about catalog file format, visit: \S+")


class ServerError(RuntimeError):
    """The backend answered something other than a verdict (401, 500, garbage)."""


def verdict(client: httpx.Client, entity: Entity) -> dict[str, Any]:
    """{"valid": bool, "message": first error or None} from validate-entity."""
    resp = client.post("/api/catalog/validate-entity", json={"location": LOCATION, "entity": entity})
    if resp.status_code == 200:
        return {"valid": True, "message": None}
    if resp.status_code == 400:
        errors = resp.json().get("errors") or [{}]
        message = str(errors[0].get("message", ""))
        return {"valid": False, "message": _ADR.sub("", message)}
    raise ServerError(f"validate-entity answered {resp.status_code}: {resp.text[:200]}")


def client(url: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=url.rstrip("/"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30.0,
        trust_env=False,  # loopback only, whatever proxy the environment names
    )


def ask(url: str, token: str, todo: Mapping[str, Entity]) -> dict[str, dict[str, Any]]:
    """id → {valid, message, digest} for every entity in `todo`."""
    out: dict[str, dict[str, Any]] = {}
    with client(url, token) as c:
        for key, entity in todo.items():
            out[key] = {**verdict(c, entity), "digest": digest(entity)}
    return out


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
    todo = entities()
    with _backend(args.url) as (url, token):
        began = time.monotonic()
        table = ask(url, token, todo)
        seconds = time.monotonic() - began
    doc = {
        "location": LOCATION,
        "backend": backend_versions(),
        "verdicts": dict(sorted(table.items())),
    }
    args.output.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    invalid = sum(not v["valid"] for v in table.values())
    print(f"{len(table)} verdicts ({invalid} invalid) in {seconds:.1f} s -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

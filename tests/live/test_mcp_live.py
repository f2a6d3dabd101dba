"""`portal-lint mcp`'s check_name against the real Backstage catalog, through the MCP SDK's client."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from backstage_backend import Backend
from mcp import ClientSession, StdioServerParameters, stdio_client

pytestmark = [pytest.mark.live, pytest.mark.anyio]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def check_names(root: Path, url: str, token: str, names: list[str]) -> list[Any]:
    env = {
        "PORTAL_LINT_CATALOG_URL": url,
        "PORTAL_LINT_TOKEN": token,
        "NO_PROXY": os.environ.get("NO_PROXY", "127.0.0.1,localhost"),
    }
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "portal_lint", "mcp", "--root", str(root)], env=env, cwd=str(ROOT)
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        return [await session.call_tool("check_name", {"name": name}) for name in names]


async def test_check_name_asks_the_live_catalog(backstage: Backend, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    taken, free = await check_names(
        tmp_path, backstage.url, backstage.token, ["Payments-API", "checkout-service"]
    )
    got = taken.structured_content
    assert got["status"] == "taken" and got["existing"]["source"] == "catalog"
    assert got["existing"]["managed_by_location"].endswith("repos/payments-api/catalog-info.yaml")
    assert free.structured_content["status"] == "free"
    assert backstage.url in free.structured_content["checked"]
    for result in (taken, free):
        assert backstage.token not in result.model_dump_json()


async def test_a_rejected_token_is_unknown_not_free_and_stays_secret(
    backstage: Backend, tmp_path: Path
) -> None:
    (tmp_path / ".git").mkdir()
    wrong = "wrong-token-" + "x" * 20
    (result,) = await check_names(tmp_path, backstage.url, wrong, ["checkout-service"])
    got = result.structured_content
    assert got["status"] == "unknown" and "could not answer" in got["message"]
    assert wrong not in result.model_dump_json() and backstage.token not in result.model_dump_json()

"""`portal-lint mcp` driven end to end by the MCP SDK's own client over stdio.

One server per module answers the workspace tests (starting one costs about a second);
tests that need another environment (catalog URL, token) start their own.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.types import CallToolResult

pytestmark = pytest.mark.anyio

CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  annotations:
    portal.example.com/on-call: yes
spec:
  type: service
  lifecycle: production
  owner: group:default/team-payments
  system: commerce
"""
YES_LINE = 6  # 1-based line of `yes` above
AGENTS = """\
# Agents

## Developer Portal Standards

- Lifecycle values: production | experimental | deprecated. Never omit lifecycle.
- Every service MUST page its on-call team through the paging tool.
"""
SECRET = "TOP-SECRET-outside-the-workspace"
TOKEN = "s3cr3t-portal-token-value"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def make_repo(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    # Only the YAML family, so these tests do not move when other families gain rules.
    (root / ".portal-lint.yaml").write_text("select: [YML]\n", encoding="utf-8")
    (root / "catalog-info.yaml").write_text(CATALOG, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    secret = tmp_path_factory.mktemp("outside") / "catalog-info.yaml"
    secret.write_text(f"kind: [{SECRET}\n", encoding="utf-8")  # a syntax error would quote it
    return secret


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, outside: Path) -> Path:
    root = make_repo(tmp_path_factory.mktemp("ws") / "service")
    (root / "leak").mkdir()
    (root / "leak" / "catalog-info.yaml").symlink_to(outside)
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("# docs\n", encoding="utf-8")
    (root / "AGENTS.md").write_text(AGENTS, encoding="utf-8")
    return root


ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "mcp"


def server_params(root: Path, env: dict[str, str] | None = None, *extra: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "portal_lint", "mcp", "--root", str(root), *extra],
        env=env,
        cwd=str(ROOT),
    )


@pytest.fixture(scope="module")
async def mcp(repo: Path) -> AsyncIterator[ClientSession]:
    async with stdio_client(server_params(repo)) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def call(session: ClientSession, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def call_error(session: ClientSession, tool: str, **arguments: Any) -> str:
    result = await session.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    return text_of(result)


def text_of(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


async def test_lists_the_four_tools_with_schemas(mcp: ClientSession) -> None:
    tools = {t.name: t for t in (await mcp.list_tools()).tools}
    assert set(tools) == {"lint", "explain_rule", "check_name", "policy"}
    assert {"paths", "text", "filename", "select", "ignore"} <= set(tools["lint"].input_schema["properties"])
    assert tools["check_name"].input_schema["required"] == ["name"]
    lint_out = tools["lint"].output_schema
    assert lint_out is not None and "findings" in lint_out["properties"]


async def test_lint_a_file_reports_code_position_fix_and_standard_field(mcp: ClientSession) -> None:
    report = await call(mcp, "lint", paths=["catalog-info.yaml"])
    (finding,) = report["findings"]
    col = CATALOG.splitlines()[YES_LINE - 1].index("yes") + 1
    assert finding["code"] == "YML005" and finding["name"]
    assert finding["path"] == "catalog-info.yaml"
    assert (finding["line"], finding["column"], finding["end_line"], finding["end_column"]) == (
        YES_LINE,
        col,
        YES_LINE,
        col + 3,
    )
    assert finding["fix"]["automatic"] is True
    assert finding["fix"]["edits"] == [
        {"line": YES_LINE, "column": col, "end_line": YES_LINE, "end_column": col + 3, "replacement": '"yes"'}
    ]
    assert "standard" in finding
    assert report["summary"]["files"] == 1 and report["summary"]["warnings"] == 1


async def test_lint_inline_text_under_a_virtual_name_writes_nothing(mcp: ClientSession, repo: Path) -> None:
    text = CATALOG.replace("yes", '"yes"').replace("  name: payments\n", "  name: payments\n  name: again\n")
    report = await call(mcp, "lint", text=text, filename="services/new/catalog-info.yaml")
    assert [(f["code"], f["path"], f["line"]) for f in report["findings"]] == [
        ("YML002", "services/new/catalog-info.yaml", 5)
    ]
    assert not (repo / "services").exists()


async def test_inline_text_stands_in_for_the_file_on_disk(mcp: ClientSession, repo: Path) -> None:
    fixed = CATALOG.replace("yes", '"yes"')
    report = await call(mcp, "lint", text=fixed, filename="catalog-info.yaml")
    assert report["findings"] == []
    assert (repo / "catalog-info.yaml").read_text(encoding="utf-8") == CATALOG


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"paths": ["../outside.yaml"]}, "outside the workspace root"),
        ({"paths": ["/etc/passwd"]}, "outside the workspace root"),
        ({"paths": ["leak/catalog-info.yaml"]}, "outside the workspace root"),
        ({"text": "kind: x\n", "filename": "../escape/catalog-info.yaml"}, "outside the workspace root"),
        ({"paths": ["nope.yaml"]}, "no such file"),
        ({"paths": ["catalog-info.yaml"], "text": "x: 1\n"}, "not both"),
        ({"text": "# hi\n", "filename": "README.md"}, "not a file portal-lint lints"),
        ({"paths": ["catalog-info.yaml"], "select": ["CAT999"]}, "unknown rule 'CAT999'"),
    ],
)
async def test_lint_rejects_bad_input_with_a_clear_error(
    mcp: ClientSession, arguments: dict[str, Any], expected: str
) -> None:
    assert expected in await call_error(mcp, "lint", **arguments)


async def test_folder_lint_does_not_follow_a_symlink_out_of_the_workspace(mcp: ClientSession) -> None:
    report = await call(mcp, "lint")
    assert SECRET not in json.dumps(report)
    leak = [f for f in report["findings"] if f["path"] == "leak/catalog-info.yaml"]
    assert [f["code"] for f in leak] == ["YML006"] and "outside" in leak[0]["message"]


async def test_explain_rule_by_code_and_by_name(mcp: ClientSession) -> None:
    by_code = await call(mcp, "explain_rule", rule="YML005")
    by_name = await call(mcp, "explain_rule", rule=by_code["name"])
    assert by_code == by_name
    assert by_code["markdown"].startswith(f"# YML005 {by_code['name']}")
    assert by_code["summary"] in by_code["markdown"] and by_code["fixable"] in (True, False)


async def test_explain_rule_unknown_suggests_close_codes(mcp: ClientSession) -> None:
    message = await call_error(mcp, "explain_rule", rule="YML05")
    assert "no rule `YML05`" in message and "YML005" in message


@pytest.mark.parametrize(
    ("arguments", "code", "fragment"),
    [
        ({"name": "a" * 64}, "CAT005", "over the limit of 63"),
        ({"name": "-payments-"}, "CAT005", 'use "payments"'),
        ({"name": "payments api"}, "CAT005", "not a valid entity name"),
        ({"name": "payments", "namespace": "Payments_Team"}, "CAT006", "namespace"),
        ({"name": "payments", "kind": "Compnent"}, "CAT004", "Component"),
    ],
)
async def test_check_name_rejects_what_backstage_rejects_in_the_rules_words(
    mcp: ClientSession, arguments: dict[str, Any], code: str, fragment: str
) -> None:
    got = await call(mcp, "check_name", **arguments)
    assert got["status"] == "invalid" and not got["valid"]
    (problem,) = got["problems"]
    assert problem.startswith(code) and fragment in problem, problem


async def test_check_name_needs_a_name(mcp: ClientSession) -> None:
    assert "`name` is empty" in await call_error(mcp, "check_name", name="")


async def test_check_name_without_a_catalog_never_claims_free(mcp: ClientSession, repo: Path) -> None:
    got = await call(mcp, "check_name", name="payments")
    assert got["valid"] and got["status"] == "unknown"
    assert "no catalog is configured" in got["message"]
    assert got["in_workspace"] == ["catalog-info.yaml"]


async def test_policy_is_the_workspace_agents_md_with_its_sources(mcp: ClientSession) -> None:
    got = await call(mcp, "policy")
    assert got["source"].startswith("AGENTS.md:3")
    (lifecycle,) = got["standards"]
    assert lifecycle["source"] == "AGENTS.md:5" and lifecycle["in_force"]
    assert lifecycle["text"].startswith("Lifecycle values") and lifecycle["rules"]
    assert got["unenforced"] == [
        "AGENTS.md:6: Every service MUST page its on-call team through the paging tool."
    ]
    assert got["details"]["standards"][0]["key"] == "lifecycle-allowed"


def write_snapshot(path: Path, refs: list[tuple[str, str, str]]) -> Path:
    entities = [
        {
            "ref": f"{k}:{ns}/{n}".lower(),
            "kind": k,
            "namespace": ns,
            "name": n,
            "managed_by_location": f"url:https://git.example.com/{n}/blob/main/catalog-info.yaml",
        }
        for k, ns, n in refs
    ]
    doc = {
        "version": 1,
        "taken_at": datetime.now(UTC).isoformat(),
        "source": "http://127.0.0.1",
        "entities": entities,
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


async def test_check_name_uses_the_snapshot_and_keeps_the_token_secret(
    tmp_path: Path, closed_port: int
) -> None:
    root = make_repo(tmp_path / "svc")
    snapshot = write_snapshot(tmp_path / "snap.json", [("Component", "default", "orders")])
    (root / ".portal-lint.yaml").write_text(f"select: [YML]\nsnapshot: {snapshot}\n", encoding="utf-8")
    env = {"PORTAL_LINT_CATALOG_URL": f"http://127.0.0.1:{closed_port}", "PORTAL_LINT_TOKEN": TOKEN}
    async with stdio_client(server_params(root, env)) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        taken = await session.call_tool("check_name", {"name": "Orders"})
        free = await session.call_tool("check_name", {"name": "billing"})
        other_kind = await session.call_tool("check_name", {"name": "orders", "kind": "API"})
    assert taken.structured_content is not None and free.structured_content is not None
    assert taken.structured_content["status"] == "taken"
    assert taken.structured_content["existing"]["managed_by_location"].startswith(
        "url:https://git.example.com/"
    )
    assert free.structured_content["status"] == "free"
    # The live catalog refused the connection: the answer says so and falls back to the snapshot.
    assert "could not answer" in free.structured_content["message"]
    assert other_kind.structured_content is not None and other_kind.structured_content["status"] == "free"
    for result in (taken, free, other_kind):
        assert TOKEN not in result.model_dump_json()


async def test_check_name_with_an_unreachable_catalog_and_no_snapshot_is_unknown(
    tmp_path: Path, closed_port: int
) -> None:
    root = make_repo(tmp_path / "svc")
    async with (
        stdio_client(
            server_params(
                root, {"PORTAL_LINT_TOKEN": TOKEN}, "--catalog-url", f"http://127.0.0.1:{closed_port}"
            )
        ) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        result = await session.call_tool("check_name", {"name": "billing"})
    got = result.structured_content
    assert got is not None and got["status"] == "unknown" and "could not answer" in got["message"]
    assert TOKEN not in result.model_dump_json()


async def test_check_name_with_a_snapshot_that_cannot_be_read_is_unknown(
    tmp_path: Path, closed_port: int
) -> None:
    root = make_repo(tmp_path / "svc")
    (root / ".portal-lint.yaml").write_text("select: [YML]\nsnapshot: gone.json\n", encoding="utf-8")
    env = {"PORTAL_LINT_CATALOG_URL": f"http://127.0.0.1:{closed_port}", "PORTAL_LINT_TOKEN": TOKEN}
    async with stdio_client(server_params(root, env)) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        result = await session.call_tool("check_name", {"name": "billing"})
    got = result.structured_content
    assert got is not None and got["status"] == "unknown" and got["checked"] is None
    assert "gone.json cannot be read" in got["message"] and "catalog export" in got["message"]
    assert TOKEN not in result.model_dump_json()


def example_commands() -> list[tuple[str, list[str]]]:
    import tomllib

    claude = json.loads((EXAMPLES / ".mcp.json").read_text(encoding="utf-8"))["mcpServers"]["portal-lint"]
    codex = tomllib.loads((EXAMPLES / "codex-config.toml").read_text(encoding="utf-8"))["mcp_servers"]
    return [
        (claude["command"], claude["args"]),
        (codex["portal-lint"]["command"], codex["portal-lint"]["args"]),
    ]


@pytest.mark.parametrize(("command", "args"), example_commands(), ids=[".mcp.json", "codex-config.toml"])
async def test_the_documented_client_configs_start_the_server_in_the_project(
    command: str, args: list[str], repo: Path
) -> None:
    assert command == "portal-lint"
    # As the client would start it: in the project folder, with the configured arguments
    # (the console script is this checkout's `python -m portal_lint`).
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "portal_lint", *args],
        cwd=str(repo),
        env={"PYTHONPATH": str(ROOT)},
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        report = await call(session, "lint", paths=["catalog-info.yaml"])
    assert [f["code"] for f in report["findings"]] == ["YML005"]


def test_missing_root_is_a_usage_error(tmp_path: Path) -> None:
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "portal_lint", "mcp", "--root", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 2 and "is not a folder" in proc.stderr

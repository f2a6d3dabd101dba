"""`portal-lint schema`: the JSON Schema editors validate catalog-info.yaml with while typing.

Checked with a real draft-07 validator the way yaml-language-server applies it: to each document
of a file separately, on the values a YAML 1.2 parser reads. Every rule's good catalog example
must pass; the bad example of every rule the schema can express must fail.
"""

from __future__ import annotations

import json
import re
import select
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from portal_lint.commands import schema as schema_cmd
from portal_lint.parse.yaml12 import parse_yaml
from portal_lint.registry import RuleMeta, load_metadata, lookup
from tests.expectations import expectations, make_repo
from tests.integration_repo import GOOD_CATALOG, run_cli

ROOT = Path(__file__).resolve().parent.parent

# Rules whose violations are plain type, format, enum or required-field facts of one document.
EXPRESSED = (
    "document-not-mapping",
    "root-field-unknown",
    "required-field-missing",
    "api-version-invalid",
    "kind-unknown",
    "name-invalid",
    "namespace-invalid",
    "api-version-wrong-for-kind",
    "metadata-field-invalid",
    "label-invalid",
    "annotation-key-invalid",
    "value-not-string",
    "spec-field-missing",
    "spec-field-invalid",
    "tag-invalid",
    "link-invalid",
    "lifecycle-allowed",
)
CATALOG_RULES = [
    m for m in load_metadata().values() if Path(m.bad_path).name in ("catalog-info.yaml", "catalog-info.yml")
]


def schema_from_cli(cwd: Path, *args: str) -> dict[str, Any]:
    proc = run_cli(["schema", *args], cwd)
    assert proc.returncode == 0, proc.stderr
    schema: dict[str, Any] = json.loads(proc.stdout)
    return schema


@pytest.fixture(scope="module")
def validator(tmp_path_factory: pytest.TempPathFactory) -> jsonschema.Draft7Validator:
    schema = schema_from_cli(make_repo(tmp_path_factory.mktemp("repo"), {}))
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    return jsonschema.Draft7Validator(schema)


def errors(validator: jsonschema.Draft7Validator, text: str) -> list[list[str]]:
    """Per document (as the editor validates them), the schema's complaints."""
    docs = [d.root for d in parse_yaml(text) if d.ok and d.root is not None]
    return [
        [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(d)]
        for d in docs
    ]


@pytest.mark.parametrize("meta", CATALOG_RULES, ids=[m.code for m in CATALOG_RULES])
def test_good_examples_pass(validator: jsonschema.Draft7Validator, meta: RuleMeta) -> None:
    assert all(e == [] for e in errors(validator, meta.good)), errors(validator, meta.good)


@pytest.mark.parametrize("name", EXPRESSED)
def test_bad_examples_of_expressible_rules_fail(validator: jsonschema.Draft7Validator, name: str) -> None:
    (code,) = lookup(name)
    meta = load_metadata()[code]
    assert any(errors(validator, meta.bad)), f"{code} {name}: the schema accepts its bad example"


API = """\
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments-api
spec:
  type: openapi
  lifecycle: production
  owner: group:default/team-payments
  system: commerce
  definition:
    $text: ./api/openapi.yaml
"""


def test_each_document_is_checked_against_its_own_kind(validator: jsonschema.Draft7Validator) -> None:
    assert errors(validator, GOOD_CATALOG + "---\n" + API) == [[], []]
    component_without_definition = API.replace("kind: API", "kind: Component")
    assert errors(validator, component_without_definition) == [[]], "definition is an API field only"
    assert errors(validator, API.replace("definition:\n    $text: ./api/openapi.yaml", "owner2: x")) == [
        ["spec: 'definition' is a required property"]
    ]


@pytest.mark.parametrize(
    ("definition", "ok"),
    [
        ("definition: |\n    openapi: 3.0.3", True),
        ("definition:\n    $text: ./api/openapi.yaml", True),
        ("definition: {$yaml: https://example.com/api.yaml}", True),
        ("definition: {$json: ./api/openapi.json}", True),
        ("definition: {$text: ./a.yaml, $yaml: ./b.yaml}", False),
        ("definition: {$ref: ./a.yaml}", False),
        ("definition: {$text: 42}", False),
        ("definition: 42", False),
        ('definition: ""', False),
    ],
)
def test_api_definition_is_a_string_or_one_placeholder(
    validator: jsonschema.Draft7Validator, definition: str, ok: bool
) -> None:
    text = API.replace("definition:\n    $text: ./api/openapi.yaml", definition)
    assert (errors(validator, text) == [[]]) is ok


def test_mcp_server_apis_need_a_definition_as_every_api(validator: jsonschema.Draft7Validator) -> None:
    """catalog-backend 4.0.5 validates an mcp-server API against the plain API schema."""
    mcp = API.replace("type: openapi", "type: mcp-server").replace(
        "definition:\n    $text: ./api/openapi.yaml",
        "remotes:\n    - type: streamable-http\n      url: https://mcp.example.com",
    )
    assert errors(validator, mcp) == [["spec: 'definition' is a required property"]]
    assert errors(validator, API.replace("type: openapi", "type: mcp-server")) == [[]]


@pytest.mark.parametrize(
    ("line", "ok"),
    [
        ("  name: payments", True),
        ("  name: " + "a" * 63, True),
        ("  name: " + "a" * 64, False),
        ("  name: -payments", False),
        ("  name: payments\n  namespace: Team-A", False),
        ("  name: payments\n  labels:\n    example.com/tier: gold", True),
        ("  name: payments\n  labels:\n    tier: true", False),
        ('  name: payments\n  annotations:\n    prometheus.io/port: "8080"', True),
        ("  name: payments\n  annotations:\n    prometheus.io/port: 8080", False),
        ("  name: payments\n  annotations:\n    Example.com/x: y", False),
        ("  name: payments\n  tags: [java, team:payments]", True),
        ("  name: payments\n  tags: [Java]", False),
        ("  name: payments\n  links:\n    - url: https://grafana.example.com", True),
        ("  name: payments\n  links:\n    - title: no url", False),
    ],
)
def test_metadata_formats(validator: jsonschema.Draft7Validator, line: str, ok: bool) -> None:
    assert (errors(validator, GOOD_CATALOG.replace("  name: payments", line)) == [[]]) is ok


def test_lifecycles_are_the_portal_standard_or_what_the_user_passes(tmp_path: Path) -> None:
    beta = GOOD_CATALOG.replace("lifecycle: production", "lifecycle: beta")
    default = jsonschema.Draft7Validator(schema_from_cli(make_repo(tmp_path, {})))
    assert errors(default, beta) != [[]]
    custom = jsonschema.Draft7Validator(schema_from_cli(tmp_path, "--lifecycle", "alpha,beta,ga"))
    assert errors(custom, beta) == [[]]
    assert errors(custom, GOOD_CATALOG) != [[]], "production is no longer allowed"


def test_repository_config_widens_kinds_and_name_length(tmp_path: Path) -> None:
    config = "rules:\n  kind-unknown:\n    extra-kinds: [Repository]\n  name-invalid:\n    max-length: 120\n"
    repo = make_repo(tmp_path, {".portal-lint.yaml": config})
    proc = run_cli(["schema", "--output", "schema.json"], repo)
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    written = jsonschema.Draft7Validator(json.loads((repo / "schema.json").read_text(encoding="utf-8")))
    custom = "apiVersion: example.com/v1\nkind: Repository\nmetadata:\n  name: " + "r" * 100 + "\n"
    assert errors(written, custom) == [[]]


def test_a_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_cli(["schema"], make_repo(tmp_path, {".portal-lint.yaml": "nope: 1\n"}))
    assert proc.returncode == 2
    assert "unknown key `nope`" in proc.stderr


# --- The real consumer: yaml-language-server (what the VS Code YAML extension runs) -----------

YLS_VERSION = "2.0.0"


@pytest.fixture(scope="module")
def yaml_language_server(tmp_path_factory: pytest.TempPathFactory) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        # The test command needs Node (README, Set-up) for the live tests anyway: not a skip.
        pytest.fail("npm is not installed: cannot fetch yaml-language-server (install Node 20, see README)")
    prefix = tmp_path_factory.mktemp("yls")
    subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(prefix),
            "--no-audit",
            "--no-fund",
            f"yaml-language-server@{YLS_VERSION}",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return prefix / "node_modules" / ".bin" / "yaml-language-server"


def lsp_diagnostics(server: Path, workspace: Path, rel: str) -> list[tuple[int, str]]:
    """Open `rel` in yaml-language-server with the schema mapped as `.vscode/settings.json` would;
    return its diagnostics as (1-based line, message)."""
    settings = {
        "validate": True,
        "schemaStore": {"enable": False},
        "schemas": {".vscode/catalog-info.schema.json": ["catalog-info.yaml", "**/catalog-info.yaml"]},
    }
    proc = subprocess.Popen([str(server), "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    stdin, stdout = proc.stdin, proc.stdout

    def send(msg: dict[str, Any]) -> None:
        data = json.dumps({"jsonrpc": "2.0", **msg}).encode()
        stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(data), data))
        stdin.flush()

    def receive() -> dict[str, Any]:
        length = 0
        while line := stdout.readline().strip():
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        message: dict[str, Any] = json.loads(stdout.read(length))
        return message

    uri = (workspace / rel).as_uri()
    try:
        root = {
            "rootUri": workspace.as_uri(),
            "workspaceFolders": [{"uri": workspace.as_uri(), "name": "ws"}],
        }
        caps = {"workspace": {"configuration": True}, "textDocument": {"publishDiagnostics": {}}}
        send({"id": 1, "method": "initialize", "params": {"processId": None, "capabilities": caps, **root}})
        send({"method": "initialized", "params": {}})
        send({"method": "workspace/didChangeConfiguration", "params": {"settings": {"yaml": settings}}})
        text = (workspace / rel).read_text(encoding="utf-8")
        doc = {"uri": uri, "languageId": "yaml", "version": 1, "text": text}
        send({"method": "textDocument/didOpen", "params": {"textDocument": doc}})
        while True:
            msg = receive()
            if msg.get("method") == "workspace/configuration":
                send({"id": msg["id"], "result": [settings for _ in msg["params"]["items"]]})
            elif "id" in msg and "method" in msg:
                send({"id": msg["id"], "result": None})
            elif msg.get("method") == "textDocument/publishDiagnostics" and msg["params"]["uri"] == uri:
                diags = msg["params"]["diagnostics"]
                if diags or not text.strip():
                    return [(d["range"]["start"]["line"] + 1, d["message"]) for d in diags]
                # The first, empty publication may precede schema validation; a clean file gets
                # only that one, so wait briefly for a second before calling it clean.
                stdout_ready = select.select([stdout], [], [], 3)[0]
                if not stdout_ready:
                    return []
    finally:
        proc.kill()
        proc.wait()


def test_yaml_language_server_flags_each_document_against_its_kind(
    yaml_language_server: Path, tmp_path: Path
) -> None:
    bad = GOOD_CATALOG.replace("lifecycle: production", "lifecycle: prod")
    bad_api = API.replace("apiVersion: backstage.io/v1alpha1", "apiVersion: backstage.io/v1")
    repo = make_repo(
        tmp_path,
        {"svc/catalog-info.yaml": bad + "---\n" + bad_api, "catalog-info.yaml": GOOD_CATALOG + "---\n" + API},
    )
    assert run_cli(["schema", "--output", ".vscode/catalog-info.schema.json"], repo).returncode == 0
    assert lsp_diagnostics(yaml_language_server, repo, "catalog-info.yaml") == []
    got = lsp_diagnostics(yaml_language_server, repo, "svc/catalog-info.yaml")
    # lifecycle in the first document (line 9), apiVersion in the second (line 13)
    assert [line for line, _ in got] == [9, 13], got
    assert "production" in got[0][1] and "backstage.io/v1alpha1" in got[1][1]


def test_lifecycles_follow_the_repositorys_agents_md(tmp_path: Path) -> None:
    agents = "# Agents\n\n## Developer Portal Standards\n\n- Lifecycle values: `alpha`, `beta` or `ga`.\n"
    repo = make_repo(tmp_path, {"AGENTS.md": agents})
    schema = jsonschema.Draft7Validator(schema_from_cli(repo))
    assert errors(schema, GOOD_CATALOG.replace("lifecycle: production", "lifecycle: beta")) == [[]]
    assert errors(schema, GOOD_CATALOG) != [[]], "as portal-lint, the editor flags production here"


# --- Every fixture: what portal-lint says of each document, the schema says too where it can ----

FIXTURES = ROOT / "fixtures"
# A skeleton's catalog-info.yaml is template input (`${{ values.name }}`), not a catalog file.
FIXTURE_CATALOGS = sorted(
    p
    for p in FIXTURES.rglob("catalog-info.y*ml")
    if p.is_file() and not p.is_symlink() and "skeleton" not in p.relative_to(FIXTURES).parts
)


def fixture_root(path: Path) -> Path:
    """The fixture repository a file belongs to: fixtures/rules/<CODE>/<case>, fixtures/<group>/<name>
    or fixtures/<name>."""
    parts = path.relative_to(FIXTURES).parts
    depth = 3 if parts[0] == "rules" else 2 if parts[0] == "repos" else 1
    return FIXTURES.joinpath(*parts[:depth])


_READS_A_FILE = re.compile(r"\$(?:text|json|yaml):\s*[^\s\[{]")


def judged_documents(path: Path) -> list[str]:
    """Check each document of a fixture file; return how each was judged (`clean`, `flagged`)."""
    root = fixture_root(path)
    rel = path.relative_to(root).as_posix()
    validator = jsonschema.Draft7Validator(schema_cmd.build(*schema_cmd.repo_options(root)))
    expressed = {code for name in EXPRESSED for code in lookup(name)}
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    # What a placeholder's file holds is portal-lint's to check: the editor cannot read files.
    expected = [
        (line, code)
        for file, line, code in expectations(root)
        if file == rel and not _READS_A_FILE.search(lines[line - 1])
    ]
    docs = parse_yaml(text)
    ends = [d.start_line for d in docs[1:]] + [len(text.split("\n"))]
    judged = []
    for doc, end in zip(docs, ends, strict=True):
        if not doc.ok or not isinstance(doc.root, dict):
            continue
        codes = {code for line, code in expected if doc.start_line < line <= end}
        got = [e.message for e in validator.iter_errors(doc.root)]
        where = f"{rel}, document from line {doc.start_line + 1}"
        if not codes:
            assert got == [], f"{where}: portal-lint finds nothing, the schema says {got}"
            judged.append("clean")
        elif codes & expressed:
            assert got, f"{where}: portal-lint reports {sorted(codes & expressed)}, the schema accepts it"
            judged.append("flagged")
    return judged


@pytest.mark.parametrize(
    "path", FIXTURE_CATALOGS, ids=[p.relative_to(FIXTURES).as_posix() for p in FIXTURE_CATALOGS]
)
def test_fixture_documents_pass_or_fail_as_portal_lint_says(path: Path) -> None:
    judged_documents(path)


def test_the_fixture_comparison_covers_both_verdicts() -> None:
    judged = [j for path in FIXTURE_CATALOGS for j in judged_documents(path)]
    assert judged.count("clean") >= 30 and judged.count("flagged") >= 30, judged

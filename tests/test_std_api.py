"""API definition files: what counts as a definition of its own, which files do not parse and where,
and which placeholder targets leave the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from portal_lint.checks.std_api import inspect
from tests.expectations import found, lint_repo

PROTO_SERVICE = 'syntax = "proto3";\n\nservice Orders {\n  rpc Get (Req) returns (Res);\n}\n'


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "text", "fmt", "root"),
    [
        ("a.yaml", "openapi: 3.1.0\ninfo: {title: A, version: '1'}\npaths: {}\n", "openapi", True),
        ("a.yml", "swagger: '2.0'\ninfo: {title: A, version: '1'}\n", "openapi", True),
        ("a.json", '{"asyncapi": "2.6.0", "info": {}}', "asyncapi", True),
        ("a.yaml", "type: object\nproperties: {}\n", None, False),  # a schema fragment
        ("a.proto", PROTO_SERVICE, "grpc", True),
        (
            "a.proto",
            'syntax = "proto3";\nmessage Money { int64 cents = 1; }\n',
            "grpc",
            False,
        ),  # imported types
        ("a.graphql", "type Query {\n  me: User\n}\ntype User { id: ID! }\n", "graphql", True),
        ("a.gql", "type User { id: ID! }\n", "graphql", False),
        ("a.txt", PROTO_SERVICE, "grpc", True),  # sniffed by its syntax line
        ("a.wsdl", "<definitions/>\n", None, False),
    ],
)
def test_definition_files_are_classified(
    tmp_path: Path, name: str, text: str, fmt: str | None, root: bool
) -> None:
    info = inspect(_file(tmp_path, name, text), {})
    assert (info.format, info.root, info.problem) == (fmt, root, None)


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        # Braces inside strings and comments do not count; the unclosed one is reported where it opens.
        ("a.proto", 'syntax = "proto3";\n// a { in a comment\nservice A {\n  option x = "}";\n', 3),
        ("a.proto", 'syntax = "proto3";\nmessage A {}\n}\n', 3),
        ("a.graphql", '"""A { in a block string"""\ntype Query {\n  a: Int # }\n', 2),
        ("a.json", '{\n  "openapi": "3.0.0",\n  "paths": {,}\n}\n', 3),
        ("a.yaml", "openapi: 3.0.0\ninfo:\n  title: A: B\n", 3),
    ],
)
def test_parse_problems_point_at_their_line(tmp_path: Path, name: str, text: str, line: int) -> None:
    problem = inspect(_file(tmp_path, name, text), {}).problem
    assert problem is not None and problem[1].line + 1 == line


def test_a_proto_with_only_comments_is_not_a_definition(tmp_path: Path) -> None:
    problem = inspect(_file(tmp_path, "a.proto", "// nothing yet\n"), {}).problem
    assert problem is not None and "no .proto statements" in problem[0]


API = """\
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: orders-api
spec:
  type: openapi
  lifecycle: production
  owner: group:default/team-orders
  system: commerce
  definition:
    $text: {target}
"""


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_a_symlink_out_of_the_repository_is_outside_it(tmp_path: Path) -> None:
    outside = _file(tmp_path, "secret.yaml", "openapi: 3.0.0\n")
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "api").mkdir()
    (root / "api" / "openapi.yaml").symlink_to(outside)
    (root / "catalog-info.yaml").write_text(API.format(target="./api/openapi.yaml"), encoding="utf-8")
    assert found(lint_repo(root)) == {("catalog-info.yaml", 11, "CAT013")}


def test_a_url_is_flagged_by_the_standard_and_never_read(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    url = "http://127.0.0.1:9/never-fetched/openapi.yaml"  # a closed port: a fetch would fail loudly
    (root / "catalog-info.yaml").write_text(API.format(target=url), encoding="utf-8")
    result = lint_repo(root)
    assert [(d.code, d.line) for d in result.diagnostics] == [("STD006", 11)]
    assert "never fetches" in result.diagnostics[0].message

"""The positioned YAML parser reads catalog files as Backstage's parser does (YAML 1.2 core
schema), gives every node its line and column, and keeps going past a broken document."""

from __future__ import annotations

import time
from typing import Any

import pytest
import yaml

from portal_lint.diagnostic import Span
from portal_lint.parse.tree import PMap, PSeq
from portal_lint.parse.yaml12 import YamlDoc, parse_yaml


def one(text: str) -> YamlDoc:
    [doc] = parse_yaml(text)
    assert doc.ok, doc.syntax or doc.limit
    return doc


@pytest.mark.parametrize(
    ("plain", "value"),
    [
        # YAML 1.1 booleans and dates are strings in YAML 1.2 (Backstage keeps them as text)
        *((w, w) for w in ("yes", "no", "on", "off", "y", "n", "Yes", "OFF")),
        ("2024-01-31", "2024-01-31"),
        ("2024-01-31T10:00:00Z", "2024-01-31T10:00:00Z"),
        ("12:30", "12:30"),  # a sexagesimal number in YAML 1.1
        ("1_000", "1_000"),
        ("true", True),
        ("False", False),
        ("~", None),
        ("null", None),
        ("", None),
        ("8080", 8080),
        ("0755", 755),  # decimal in 1.2, octal in 1.1
        ("0o17", 15),
        ("0x1F", 31),
        ("1.5", 1.5),
        ("payments", "payments"),
    ],
)
def test_plain_scalars_resolve_with_the_yaml_1_2_core_schema(plain: str, value: Any) -> None:
    root = one(f"key: {plain}\n").root
    assert root["key"] == value and type(root["key"]) is type(value)


def test_quoted_scalars_are_always_strings() -> None:
    root = one("a: 'true'\nb: \"8080\"\nc: !!str 12\n").root
    assert root == {"a": "true", "b": "8080", "c": "12"}


def test_merge_key_is_an_ordinary_key_and_is_recorded() -> None:
    doc = one("base: &b {owner: team-a}\nspec:\n  <<: *b\n  type: service\n")
    assert doc.root["spec"] == {"<<": {"owner": "team-a"}, "type": "service"}
    assert doc.merges == [Span(2, 2, 2, 4)]


def test_duplicate_keys_are_recorded_at_the_second_with_the_first() -> None:
    doc = one("metadata:\n  name: a\n  title: t\n  name: b\n")
    [(key, dup, first)] = doc.duplicates
    assert (key, dup.line, dup.col, first.line, first.col) == ("name", 3, 2, 1, 2)


def test_every_key_value_and_item_has_its_position() -> None:
    root = one("apiVersion: v1\nmetadata:\n  name: payments\n  tags:\n    - java\n    - 'web'\n").root
    assert root.key_span("apiVersion") == Span(0, 0, 0, 10)
    assert root.value_span("apiVersion") == Span(0, 12, 0, 14)
    md = root["metadata"]
    assert isinstance(md, PMap) and md.value_span("name") == Span(2, 8, 2, 16)
    tags = md["tags"]
    assert isinstance(tags, PSeq) and tags.item_spans == [Span(4, 6, 4, 10), Span(5, 6, 5, 11)]


def test_a_broken_document_does_not_stop_the_others_and_lines_stay_true() -> None:
    text = "kind: A\n---\nkind: [B\n---\n# third\nkind: C\nname: x\n"
    first, broken, third = parse_yaml(text)
    assert first.ok and first.root == {"kind": "A"}
    assert broken.syntax is not None and broken.syntax.span.line in (2, 3)
    assert third.ok and third.root == {"kind": "C", "name": "x"}
    assert third.root.key_span("name") == Span(6, 0, 6, 4)  # the line in the file, not in the document


def test_alias_expansion_is_bounded() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    started = time.perf_counter()
    [doc] = parse_yaml(bomb)
    assert time.perf_counter() - started < 5
    assert doc.limit is not None and "alias bomb" in doc.limit.message


def test_a_few_aliases_are_fine() -> None:
    doc = one("owners: &o [team-a, team-b]\nalso: *o\n")
    assert doc.root["also"] == ["team-a", "team-b"]


def test_the_lint_path_composes_with_libyaml_not_the_pure_python_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PyYAML's Python scanner and composer are far slower than libyaml's: they must not run."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the pure-Python YAML loader ran")

    monkeypatch.setattr(yaml.scanner.Scanner, "scan_to_next_token", refuse)
    monkeypatch.setattr(yaml.composer.Composer, "compose_node", refuse)
    monkeypatch.setattr(yaml.parser.Parser, "parse_node", refuse)
    docs = parse_yaml(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n---\nkind: [broken\n---\na: &x 1\nb: *x\n"
    )
    assert [d.ok for d in docs] == [True, False, True]


def test_tags_and_yaml_1_1_resolve_as_the_yaml_package_does() -> None:
    """Values as Backstage's parser gives them (checked against it: tests/differential)."""
    [doc] = parse_yaml(
        'a: !!int "5"\nb: !!int "x"\nc: !!float "3"\nd: !!float "3.5"\ne: !!bool "true"\nf: ! 5\n'
        "g: !!timestamp 2024-01-01T10:00:00+02:00\nh: !!binary aGVsbG8=\n!!binary aGk=: key\n"
    )
    assert dict(doc.root) == {
        "a": 5,
        "b": "x",
        "c": "3",
        "d": 3.5,
        "e": True,
        "f": "5",
        "g": "2024-01-01T08:00:00.000Z",
        "h": b"hello",
        "hi": "key",
    }
    [bad] = parse_yaml("a: !!timestamp soon\n")
    assert bad.syntax is not None and "yyyy-mm-dd" in bad.syntax.message
    # A %YAML 1.1 directive holds until the next one.
    docs = parse_yaml("%YAML 1.1\n---\na: yes\n---\nb: 0755\n...\n%YAML 1.2\n---\nc: yes\n")
    assert [dict(d.root) for d in docs] == [{"a": True}, {"b": 493}, {"c": "yes"}]


def test_an_anchor_used_more_than_100_times_makes_the_document_unreadable() -> None:
    ok = "a: &x 1\n" + "".join(f"b{i}: *x\n" for i in range(99))
    assert parse_yaml(ok)[0].limit is None
    [doc] = parse_yaml(ok + "b99: *x\n")
    assert doc.limit is not None and "Excessive alias count" in doc.limit.message
    assert doc.limit.span.line == 100  # the alias that crosses the limit


def test_comments_must_follow_white_space_after_quotes_and_brackets() -> None:
    for text in ('a: "x"#c\n', "a: 'x'#c\n", "a: [x]#c\n", "a: {b: 1}#c\n"):
        [doc] = parse_yaml(text)
        assert doc.syntax is not None and "separated from the value by a space" in doc.syntax.message, text
    assert parse_yaml('a: "x" #c\nb: x#c\n')[0].root == {"a": "x", "b": "x#c"}


def test_surrogate_escapes_are_read_not_refused() -> None:
    [doc] = parse_yaml('a: "\\ud83d\\ude00"\nb: "\\ud800"\n')
    assert doc.syntax is None and dict(doc.root) == {"a": "\U0001f600", "b": "\ufffd"}

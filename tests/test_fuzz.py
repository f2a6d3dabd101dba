"""Property-based tests: whatever a file holds, linting it never raises, never hangs, and
every finding points inside the file.

Inputs: arbitrary bytes; YAML rendered from random values with random styles, anchors,
aliases, tags, duplicate keys and documents; entity-shaped YAML; mutations of every
fixture and rule example; and arbitrary SKILL.md / AGENTS.md text. Each goes through
`engine.lint(..., strict=True)` (a rule's exception propagates) on a temporary repository.

The default run takes about 20 s; `PORTAL_LINT_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py`
runs that many examples per test.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from portal_lint import fix
from portal_lint.diagnostic import Result
from portal_lint.engine import lint
from portal_lint.model import InputError, read_text
from portal_lint.registry import load_metadata

EXAMPLES = int(os.environ.get("PORTAL_LINT_FUZZ_EXAMPLES", "0"))
# tests/fuzz_run.py: the hang guard alone judges time (a loaded machine misses deadlines), and
# nothing is stored in .hypothesis.
LONG_RUN = os.environ.get("PORTAL_LINT_FUZZ_LONG") == "1"
HANG_S = 10  # per example; a hang guard, not a benchmark


def fuzz(default_examples: int) -> Callable[[Any], Any]:
    return settings(
        max_examples=EXAMPLES or default_examples,
        deadline=None if LONG_RUN else timedelta(seconds=5),
        database=None if LONG_RUN else settings.default.database,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# ---------------------------------------------------------------------------- the property


@contextmanager
def hang_guard(seconds: int) -> Iterator[None]:
    """Turn a hang into a failing example (hypothesis' deadline only measures finished calls)."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"lint did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _lines(path: Path) -> list[str] | None:
    try:
        return read_text(path).split("\n")
    except InputError:
        return [""]  # findings on an unreadable file sit at 1:1
    except OSError:
        return None


# What a run did, for tests/fuzz_run.py's report.
STATS: Counter[str] = Counter()


def check_lint(repo: Path, rel: str, data: bytes) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    STATS["inputs"] += 1
    try:
        with hang_guard(HANG_S):
            result = lint([rel], cwd=repo, strict=True)
        texts = {d.repo_path: _lines(repo / d.repo_path) for d in result.diagnostics}
        if any(d.fix is not None and d.fix.edits for d in result.diagnostics):
            check_fix(repo, rel, result)
    finally:
        path.unlink()
    assert result.internal_errors == []
    for d in result.diagnostics:
        lines = texts[d.repo_path] or [""]  # a finding may name a file to create
        where = f"{d.code} at {d.path}:{d.line}:{d.column}-{d.end_line}:{d.end_column}"
        assert d.line >= 1 and d.column >= 1, where
        assert d.line <= len(lines) + 1, where
        assert (d.end_line, d.end_column) >= (d.line, d.column), where
        if d.line <= len(lines):
            assert d.column <= len(lines[d.line - 1]) + 1, where
        assert d.message.strip(), where


def check_fix(repo: Path, rel: str, before: Result) -> None:
    """`--fix` applied and the fixed text linted again: it parses no worse than before (no new
    YML001/YML006/SKL001/SKL002), and what was fixed stays fixed (a second run has less to do)."""
    with hang_guard(HANG_S * 3):
        outcome = fix.fix(lambda: lint([rel], cwd=repo, strict=True), write=True, cwd=repo)
    after = outcome.result  # the fixed text, linted (as written: no write failed)
    assert outcome.errors == []
    STATS["fixed"] += bool(outcome.changed)
    STATS["taken back"] += len(outcome.taken_back)
    broken = Counter(d.code for d in after.diagnostics if d.code in fix.UNPARSABLE)
    assert broken <= Counter(d.code for d in before.diagnostics if d.code in fix.UNPARSABLE), broken
    assert after.internal_errors == []
    fixable = [d for d in after.diagnostics if d.fix is not None and d.fix.edits]
    assert len(fixable) <= len([d for d in before.diagnostics if d.fix is not None and d.fix.edits])


@pytest.fixture(scope="module")
def repo() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="portal-lint-fuzz-") as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        yield root


# ---------------------------------------------------------------------------- YAML from values


class Pairs(list[tuple[Any, Any]]):
    """A mapping as YAML writes it: ordered key/value pairs, keys may repeat."""


TRICKY = [
    "yes", "No", "on", "OFF", "~", "null", "", "0755", "0o17", "0x1F", "1_000", "1e3", ".inf", "-.NaN",
    "12:30", "2024-01-01", "<<", "-", "?", ":", "#", "&a", "*a", "!!str", "'", '"', "|", ">", "%", "@",
    "`", "a: b", "- x", "[", "]", "{", "}", ",", "\t", " lead", "trail ", "\\", "é", "\u2028", "😀",
    "a\nb", "${{ parameters.name }}", "x" * 70,
]  # fmt: skip
KEYS = [
    "apiVersion", "kind", "metadata", "spec", "name", "namespace", "title", "description", "labels",
    "annotations", "tags", "links", "url", "icon", "type", "lifecycle", "owner", "system", "domain",
    "providesApis", "consumesApis", "dependsOn", "subcomponentOf", "definition", "$text", "target",
    "targets", "presence", "steps", "action", "id", "input", "parameters", "output", "profile", "email",
    "memberOf", "children", "members", "parent", "backstage.io/techdocs-ref", "github.com/project-slug",
    "backstage.io/managed-by-location", "relations", "status", "<<",
]  # fmt: skip
WORDS = [
    "backstage.io/v1alpha1", "backstage.io/v1beta1", "scaffolder.backstage.io/v1beta3", "v1", "Component",
    "component", "API", "Group", "User", "System", "Domain", "Resource", "Location", "Template", "Widget",
    "payments", "team-payments", "group:default/team-payments", "user:jdoe", "system:commerce",
    "api:default/payments-api", "production", "experimental", "service", "openapi", "url", "file",
    "./api/openapi.yaml", "../x.yaml", "https://example.com/x", "example.com", "dir:.", "url:https://x/y",
    "fetch:template", "a--b", "-a", "A" * 64, "default", "Default",
]  # fmt: skip
ANCHORS = ("a", "b", "c")
TAGS = ("!!str", "!!int", "!!bool", "!!map", "!!seq", "!!null", "!custom", "!<tag:yaml.org,2002:str>", "!")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.sampled_from(TRICKY),
    st.sampled_from(WORDS),
    st.text(max_size=30),
)
keys = st.one_of(st.sampled_from(KEYS), st.sampled_from(WORDS), scalars)


def pairs(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Pairs]:
    return st.lists(st.tuples(keys, values), max_size=6).map(Pairs)


values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5) | pairs(inner), max_leaves=40)


def fields(spec: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Pairs]:
    """An entity-shaped mapping: most of the known fields (sometimes with a wrong type), in
    random order, plus now and then an unknown key or a repeated one."""

    @st.composite
    def build(draw: st.DrawFn) -> Pairs:
        out = Pairs()
        for key, strategy in spec.items():
            roll = draw(st.integers(0, 99))  # one draw per field keeps generation fast
            if roll < 85:
                out.append((key, draw(values if roll < 8 else strategy)))
        roll = draw(st.integers(0, 99))
        if roll < 10:
            out.append((draw(keys), draw(values)))
        if out and roll >= 95:
            out.append(out[roll % len(out)])
        return Pairs(draw(st.permutations(out))) if roll % 2 else out

    return build()


word = st.sampled_from(WORDS) | st.sampled_from(TRICKY) | st.text(max_size=12)
words = st.lists(word, max_size=4)
annotations = st.lists(st.tuples(st.sampled_from(KEYS) | word, scalars), max_size=4).map(Pairs)
metadata = fields(
    {
        "name": word,
        "namespace": word,
        "title": word,
        "description": word,
        "labels": annotations,
        "annotations": annotations,
        "tags": words,
        "links": st.lists(fields({"url": word, "title": word, "icon": word}), max_size=3),
    }
)
spec = fields(
    {
        "type": word,
        "lifecycle": word,
        "owner": word,
        "system": word,
        "providesApis": words,
        "dependsOn": words,
        "definition": word | fields({"$text": word}),
        "target": word,
        "targets": words,
        "steps": st.lists(fields({"id": word, "action": word, "input": values}), max_size=3),
        "memberOf": words,
        "children": words,
        "profile": fields({"email": word, "displayName": word}),
    }
)
entities = fields(
    {
        "apiVersion": st.sampled_from(WORDS),
        "kind": st.sampled_from(WORDS),
        "metadata": metadata,
        "spec": spec,
    }
)


@dataclass(frozen=True)
class Look:
    """How one node is written, decoded from a single draw (few draws keep generation fast)."""

    alias: str | None
    anchor: str | None
    tag: str | None
    quoting: str  # plain | single | double | literal | folded
    block: bool

    @classmethod
    def decode(cls, roll: int) -> Look:
        def pick(options: tuple[Any, ...], weights: tuple[int, ...], bits: int) -> Any:
            n = (roll >> bits) % sum(weights)
            for option, weight in zip(options, weights, strict=True):
                if n < weight:
                    return option
                n -= weight
            raise AssertionError("unreachable")

        return cls(
            alias=pick((None, *ANCHORS), (90, 1, 1, 1), 0),
            anchor=pick((None, *ANCHORS), (30, 1, 1, 1), 7),
            tag=pick((None, *TAGS), (30, *[1] * len(TAGS)), 11),
            quoting=pick(("plain", "single", "double", "literal", "folded"), (6, 1, 2, 1, 1), 17),
            block=pick((True, False), (3, 1), 21),
        )

    @property
    def props(self) -> str:
        return " ".join(p for p in (f"&{self.anchor}" if self.anchor else "", self.tag or "") if p)


LOOKS = st.integers(0, 2**24 - 1).map(Look.decode)


_PLAIN_BAD_START = set("-?:,[]{}#&*!|>'\"%@` \t")


def _plain_ok(text: str, flow: bool) -> bool:
    return (
        bool(text)
        and text[0] not in _PLAIN_BAD_START
        and text == text.strip()
        and not any(c in text for c in "\n\r\t\x85\u2028\u2029")
        and ": " not in text
        and " #" not in text
        and not text.endswith(":")
        and not (flow and any(c in text for c in ",[]{}"))
        and text.isprintable()
    )


def _printable(text: str) -> bool:
    return all(line.isprintable() for line in text.split("\n"))


def _scalar_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"inf": ".inf", "-inf": "-.inf", "nan": ".nan"}.get(repr(value), repr(value))
    return str(value)


def _double_quoted(text: str) -> str:
    """JSON's string syntax is YAML's double-quoted style; escape what YAML may not hold raw."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
        for c in json.dumps(text, ensure_ascii=False)
    )


class Renderer:
    """Writes a value as YAML, choosing block or flow, quoting, anchors, tags and aliases at random."""

    def __init__(self, draw: st.DrawFn, step: int) -> None:
        self.draw = draw
        self.step = step
        self.anchors: set[str] = set()

    def look(self) -> Look:
        """The next node's look; aliases name defined anchors, and anchors are defined once, as
        libyaml requires (broken YAML comes from the mutation and bytes tests)."""
        look: Look = self.draw(LOOKS)
        if look.alias is not None and look.alias not in self.anchors:
            look = replace(look, alias=None)
        if look.anchor is not None:
            if look.anchor in self.anchors:
                look = replace(look, anchor=None)
            else:
                self.anchors.add(look.anchor)
        return look

    def scalar(self, value: Any, look: Look, flow: bool, indent: int) -> str:
        text = _scalar_text(value)
        style = look.quoting
        if style == "plain" and (not isinstance(value, str) or _plain_ok(text, flow)):
            return text
        if style == "single" and text.isprintable():
            return "'" + text.replace("'", "''") + "'"
        if style in ("literal", "folded") and not flow and text.strip()[:1] == text[:1] and _printable(text):
            pad = " " * (indent + self.step)
            body = "\n".join(pad + line if line else "" for line in text.split("\n"))
            return ("|" if style == "literal" else ">") + ("" if text.endswith("\n") else "-") + "\n" + body
        return _double_quoted(text)

    def flow(self, value: Any) -> str:
        look = self.look()
        if look.alias:
            return f"*{look.alias}"
        if isinstance(value, Pairs):
            body = "{" + ", ".join(f"{self.key(k)}: {self.flow(v)}" for k, v in value) + "}"
        elif isinstance(value, list):
            body = "[" + ", ".join(self.flow(v) for v in value) + "]"
        else:
            body = self.scalar(value, look, True, 0)
        return f"{look.props} {body}" if look.props else body

    def key(self, value: Any) -> str:
        if isinstance(value, list):
            return self.flow(value)  # a flow collection as a key
        look = self.look()
        text = self.scalar(value, look, True, 0)
        text = _double_quoted(text) if "\n" in text else text
        return f"{look.props} {text}" if look.props else text

    def after(self, value: Any, indent: int) -> str:
        """What follows `key:` or `-`: the value inline, or a block collection on the next lines."""
        if isinstance(value, list) and value:
            look = self.look()
            if look.alias:
                return f" *{look.alias}"
            if look.block:
                return (f" {look.props}" if look.props else "") + "\n" + self.block(value, indent)
        if isinstance(value, list):
            return " " + self.flow(value)
        look = self.look()
        inline = f"*{look.alias}" if look.alias else self.scalar(value, look, False, indent)
        return " " + (f"{look.props} " if look.props and not look.alias else "") + inline

    def block(self, value: list[Any], indent: int) -> str:
        pad = " " * indent
        inner = indent + self.step
        lines: list[str] = []
        if isinstance(value, Pairs):
            for k, v in value:
                if isinstance(k, list):
                    lines.append(f"{pad}?{self.after(k, inner)}\n{pad}:{self.after(v, inner)}")
                else:
                    lines.append(f"{pad}{self.key(k)}:{self.after(v, inner)}")
        else:
            lines.extend(f"{pad}-{self.after(v, inner)}" for v in value)
        return "\n".join(lines)

    def document(self, value: Any) -> str:
        self.anchors.clear()  # anchors do not reach across documents
        if isinstance(value, list) and value:
            return self.block(value, 0) + "\n"
        return self.flow(value) + "\n"


@st.composite
def yaml_texts(draw: st.DrawFn, docs: st.SearchStrategy[Any] = values) -> str:
    renderer = Renderer(draw, draw(st.sampled_from([1, 2, 4])))
    parts = [renderer.document(v) for v in draw(st.lists(docs, min_size=1, max_size=3))]
    head = draw(st.sampled_from(["", "---\n", "%YAML 1.2\n---\n", "# catalog\n"]))
    sep = draw(st.sampled_from(["---\n", "...\n---\n", "--- # next\n"]))
    return head + sep.join(parts)


# ---------------------------------------------------------------------------- mutations of fixtures

ROOT = Path(__file__).resolve().parent.parent


def _seed_texts() -> list[str]:
    texts = [t for m in load_metadata().values() for t in (m.bad, m.good) if m.bad_path.endswith(".yaml")]
    for path in sorted((ROOT / "fixtures").rglob("*.y*ml")):
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, OSError):
            continue
    return texts


SEEDS = _seed_texts()
PAYLOADS = st.sampled_from([*TRICKY, "\n", "  ", "\t", "---\n", "&a ", "*a", "!!int ", "<<: *a\n"]) | st.text(
    max_size=8
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A real catalog file with a few random edits: what a user's half-typed file looks like."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split("\n")
        op = draw(st.sampled_from(["insert", "delete", "dup-line", "swap", "indent", "truncate"]))
        at = draw(st.integers(0, len(text)))
        n = draw(st.integers(0, len(lines) - 1))
        if op == "insert":
            text = text[:at] + draw(PAYLOADS) + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        elif op == "dup-line":
            text = "\n".join([*lines[: n + 1], lines[n], *lines[n + 1 :]])
        elif op == "swap":
            m = draw(st.integers(0, len(lines) - 1))
            lines[n], lines[m] = lines[m], lines[n]
            text = "\n".join(lines)
        elif op == "indent":
            lines[n] = " " * draw(st.integers(0, 6)) + lines[n].lstrip(" ")
            text = "\n".join(lines)
        else:
            text = text[:at]
    return text


# ---------------------------------------------------------------------------- the tests


@fuzz(500)
@given(data=st.binary(max_size=2048) | st.builds(lambda b: b"\xef\xbb\xbf" + b, st.binary(max_size=256)))
def test_arbitrary_bytes(repo: Path, data: bytes) -> None:
    check_lint(repo, "catalog-info.yaml", data)


@fuzz(250)
@given(text=yaml_texts())
def test_yaml_from_random_values(repo: Path, text: str) -> None:
    check_lint(repo, "catalog-info.yaml", text.encode("utf-8"))


@fuzz(150)
@given(text=yaml_texts(entities))
def test_entity_shaped_yaml(repo: Path, text: str) -> None:
    check_lint(repo, "catalog-info.yaml", text.encode("utf-8"))


@fuzz(1000)
@given(text=mutated())
def test_mutated_fixtures(repo: Path, text: str) -> None:
    check_lint(repo, "catalog-info.yaml", text.encode("utf-8"))


SKILL = ".agents/skills/deploy-service/SKILL.md"
MARKDOWN = st.sampled_from(
    ["# Title", "## Purpose", "## Steps", "- [x](./missing.md)", "[a](#nope)", "```", "---", "name: x", "\n"]
) | st.text(max_size=20)


@st.composite
def markdown_texts(draw: st.DrawFn) -> str:
    front = draw(st.sampled_from(["", "---\n"]))
    if front:
        front += draw(yaml_texts(metadata)) + draw(st.sampled_from(["---\n", "", "...\n"]))
    return front + "\n".join(draw(st.lists(MARKDOWN, max_size=12)))


@fuzz(200)
@given(rel=st.sampled_from(["AGENTS.md", SKILL]), text=markdown_texts())
@example(rel=SKILL, text="---\n---\n# Deploy\n")  # empty frontmatter
@example(rel="AGENTS.md", text="\r0\n# Title")  # a lone CR ends a line for Markdown too
def test_markdown_files(repo: Path, rel: str, text: str) -> None:
    check_lint(repo, rel, text.encode("utf-8"))


def test_the_yaml_generator_mostly_writes_valid_yaml() -> None:
    """Guards the fuzzing's reach: if most generated YAML were broken, the rules would go untested."""
    import yaml

    ok = total = 0

    @settings(max_examples=100, database=None, suppress_health_check=list(HealthCheck))
    @given(text=yaml_texts(entities))
    def sample(text: str) -> None:
        nonlocal ok, total
        total += 1
        try:
            list(yaml.compose_all(text, Loader=yaml.CSafeLoader))
            ok += 1
        except yaml.YAMLError:
            pass  # undefined aliases and the like: broken on purpose, now and then

    sample()
    assert ok / total > 0.6, f"only {ok}/{total} generated documents parse"

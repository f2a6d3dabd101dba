"""What the speed work must not change: a process pool reports exactly what one process does,
a broken loader is one internal-error line, and the offline catalog path stays import-light."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

import portal_lint
from portal_lint import engine, registry
from portal_lint.diagnostic import Diagnostic, Finding, Result
from portal_lint.discover import Target
from portal_lint.engine import Run, Subject
from portal_lint.parse.yaml12 import parse_yaml
from portal_lint.registry import Rule

ENTITY = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
  annotations:
    backstage.io/techdocs-ref: dir:.
spec:
  type: service
  lifecycle: production
  owner: {owner}
"""


def _corpus(root: Path, count: int) -> Path:
    """`count` repositories, every third with a finding, one with an unclosed quote."""
    for i in range(count):
        repo = root / f"repo-{i:03d}"
        (repo / ".git").mkdir(parents=True)
        owner = "user:default/jane" if i % 3 == 0 else "group:default/team-a"
        text = ENTITY.format(name=f"svc-{i}", owner=owner)
        if i == 7:
            text = text.replace("name: svc-7", 'name: "svc-7')
        (repo / "catalog-info.yaml").write_text(text, encoding="utf-8")
    return root


def _payload(result: Result) -> tuple[list[Diagnostic], list[str], list[str]]:
    return result.diagnostics, result.notices, result.internal_errors


def test_a_pool_reports_what_one_process_reports(tmp_path: Path) -> None:
    root = _corpus(tmp_path, 60)
    one = engine.lint([str(root)], cwd=root, jobs=1)
    pooled = engine.lint([str(root)], cwd=root, jobs=2)
    assert one.files == pooled.files == 60
    assert {d.code for d in one.diagnostics} >= {"STD002", "YML001"}
    assert _payload(pooled) == _payload(one)


@pytest.mark.parametrize("started", [0, 1])
def test_a_pool_that_cannot_start_its_processes_lints_in_this_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: int
) -> None:
    import errno
    from multiprocessing.context import ForkProcess

    real, count = ForkProcess.start, [0]

    def no_fork(self: ForkProcess) -> None:  # a container's process limit, reached after `started`
        count[0] += 1
        if count[0] > started:
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
        real(self)

    root = _corpus(tmp_path, 60)
    one = engine.lint([str(root)], cwd=root, jobs=1)
    monkeypatch.setattr(ForkProcess, "start", no_fork)
    assert _payload(engine.lint([str(root)], cwd=root, jobs=3)) == _payload(one)


def test_how_many_processes_a_run_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    assert engine._workers(2, 5000, 200, index=object()) == 1  # a live index stays in this process
    assert engine._workers(None, engine.POOL_THRESHOLD, 200, index=None) == 1
    assert engine._workers(8, 5000, 3, index=None) == 3  # no more processes than units of work
    monkeypatch.setenv("PORTAL_LINT_JOBS", "1")
    assert engine._workers(None, 5000, 200, index=None) == 1
    monkeypatch.setenv("PORTAL_LINT_JOBS", "3")
    assert engine._workers(None, 5000, 200, index=None) == 3


def test_a_check_that_raises_in_a_pool_worker_is_reported_as_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _corpus(tmp_path, 60)
    real = registry.rules_for

    def broken(entity: Any, ctx: Any) -> Iterator[Finding]:
        if entity.name == "svc-42":
            raise ValueError("boom in svc-42")
        yield from ()

    def rules_for(codes: Iterable[str]) -> dict[str, Rule]:
        return {c: Rule(r.meta, broken) if c == "STD002" else r for c, r in real(codes).items()}

    monkeypatch.setattr(registry, "rules_for", rules_for)
    with pytest.raises(ValueError, match="svc-42"):
        engine.lint([str(root)], cwd=root, jobs=2, strict=True)
    result = engine.lint([str(root)], cwd=root, jobs=2)
    assert result.internal_errors == [
        "internal error in STD002 on catalog-info.yaml: ValueError: boom in svc-42"
    ]


def test_a_loader_exception_is_an_internal_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _corpus(tmp_path, 2)

    def broken(target: Target, run: Run) -> Iterator[Subject]:
        raise ValueError("boom")
        yield  # a generator, as loaders are

    monkeypatch.setitem(engine.LOADERS, "catalog", broken)
    result = engine.lint([str(root)], cwd=root)
    assert result.internal_errors == [
        "internal error reading repo-000/catalog-info.yaml: ValueError: boom",
        "internal error reading repo-001/catalog-info.yaml: ValueError: boom",
    ]
    with pytest.raises(ValueError):
        engine.lint([str(root)], cwd=root, strict=True)


# Third-party libraries and portal-lint's Markdown side (SKILL.md / AGENTS.md): not for a catalog file.
HEAVY = (
    "pydantic",
    "httpx",
    "ruamel",
    "markdown_it",
    "portal_lint.parse.markdown",
    "portal_lint.agents",
    "portal_lint.skills",
    "portal_lint.checks.agt",
    "portal_lint.checks.skl",
)


def test_the_offline_catalog_path_imports_no_heavy_module(tmp_path: Path) -> None:
    root = _corpus(tmp_path, 1) / "repo-000"
    code = (
        "import sys, json\n"
        "from portal_lint.cli import main\n"
        "try:\n"
        "    main(['catalog-info.yaml', '--format', 'json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(portal_lint.__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    loaded = json.loads(done.stderr.strip().splitlines()[-1])
    assert json.loads(done.stdout)["summary"]["files"] == 1
    assert [m for m in loaded if m.startswith(HEAVY)] == []


def test_the_metadata_cache_holds_what_the_rule_files_say() -> None:
    rules = registry.all_rules()  # writes the cache when it is missing or stale
    cached = registry.read_cache()
    if cached is None:
        pytest.skip("the package folder is not writable here")
    metas, modules = cached
    assert metas == registry.load_metadata_yaml()
    assert modules == {code: rule.check.__module__ for code, rule in rules.items()}


def test_the_metadata_cache_goes_stale_when_a_rule_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    for src in registry.rules_dir().glob("*.yaml"):
        (rules / src.name).write_bytes(src.read_bytes())
    monkeypatch.setattr(registry, "rules_dir", lambda: rules)
    monkeypatch.setattr(registry, "cache_path", lambda: tmp_path / "rules.marshal")
    registry._write_cache(registry.load_metadata_yaml(), {})
    assert registry.read_cache() is not None
    (rules / "yml.yaml").write_text((rules / "yml.yaml").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert registry.read_cache() is None


def test_an_unclosed_quote_is_reported_where_it_opens_not_where_a_later_quote_closes_it() -> None:
    text = ENTITY.format(name="svc", owner="group:default/team-a").replace("name: svc", 'name: "svc')
    text = text.replace("type: service", 'type: "service"')
    [doc] = parse_yaml(text)
    assert doc.syntax is not None
    assert doc.syntax.span.line == 3  # 0-based: the `name:` line, where the quote opens
    assert "runs on to line 8" in doc.syntax.message  # `type: "service"`


def test_a_quoted_value_over_several_lines_with_a_real_error_after_it_keeps_its_place() -> None:
    [doc] = parse_yaml('description: "one\n  two" three: four\n')
    assert doc.syntax is not None and doc.syntax.span.line == 1

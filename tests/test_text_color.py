"""When the text format colours the severity word: only on a terminal, and never under
`--no-color`, a non-empty `NO_COLOR` (no-color.org), GitHub Actions or `TERM=dumb`."""

from __future__ import annotations

import pytest

from portal_lint.report.text import use_color


@pytest.fixture(autouse=True)
def plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def test_a_terminal_gets_colour_and_a_pipe_does_not() -> None:
    assert use_color(True, False) and not use_color(False, False)


@pytest.mark.parametrize(("name", "value"), [("NO_COLOR", "1"), ("GITHUB_ACTIONS", "true"), ("TERM", "dumb")])
def test_the_environment_switches_colour_off(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    assert not use_color(True, False)


def test_an_empty_no_color_leaves_colour_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "")
    assert use_color(True, False)


def test_the_flag_switches_colour_off() -> None:
    assert not use_color(True, True)

"""The lint command reads plain command lines without argparse (start-up time): it must read
them exactly as argparse does, and hand everything else to argparse."""

from __future__ import annotations

import pytest

from portal_lint.cli import _quick_args, build_parser

READ_QUICKLY = [
    [],
    ["catalog-info.yaml"],
    ["a/catalog-info.yaml", "b/SKILL.md", "AGENTS.md"],
    ["catalog-info.yaml", "--format", "json", "--fail-on", "error"],
    ["--format=sarif", "--output", "out.sarif", "."],
    ["-o", "report.txt", "--no-color", "x.yaml"],
    ["--select", "CAT,REF001", "--select", "STD", "--ignore=YML", "x.yaml"],
    ["--report", "sarif=a.sarif", "--report=json=b.json", "--format", "github"],
    ["--fix", "--diff", "--config", "cfg.yaml", "--root", "repo"],
    [
        "--snapshot",
        "snap.json",
        "--require-catalog",
        "--location",
        "url:https://x/y",
        "--catalog-ca",
        "ca.pem",
    ],
    ["--catalog-url", "http://127.0.0.1:7007", "x.yaml"],
    ["--output=", "x.yaml"],
    [""],
]

LEFT_TO_ARGPARSE = [
    ["--help"],
    ["-h"],
    ["--version"],
    ["--form", "json"],  # an abbreviation
    ["--format", "yaml"],  # not a choice: argparse's error
    ["--format"],  # a missing value
    ["--select", "-x"],  # a value that looks like an option
    ["--fix=yes"],
    ["a.yaml", "--fix", "b.yaml"],  # paths on both sides of an option
    ["--", "-odd-name.yaml"],
    ["-"],
    ["-ofile"],
    ["--no-such-option"],
]


@pytest.mark.parametrize("argv", READ_QUICKLY, ids=" ".join)
def test_plain_command_lines_read_as_argparse_reads_them(argv: list[str]) -> None:
    quick = _quick_args(argv)
    assert quick is not None
    assert vars(quick) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize("argv", LEFT_TO_ARGPARSE, ids=" ".join)
def test_everything_else_is_left_to_argparse(argv: list[str]) -> None:
    assert _quick_args(argv) is None

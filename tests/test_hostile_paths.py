"""Crafted file names through the real command line: no forged line, no crash, the right file.

A folder name can hold a line break (and with it a line GitHub Actions runs as a workflow
command, or one a problem matcher reads as a finding), an escape sequence, bytes that are not
UTF-8, or URI syntax (`#`, `%20`). Every format shows such a path escaped, on one line; SARIF
percent-encodes it as RFC 3986 requires.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile import GOOD

BAD = GOOD.format(description="Takes payments.").replace("name: payments", "name: -payments")
INJECT = "a\n::error file=x,line=1::INJECT\u2028\x85\x1b[2J"
FORMATS = ("text", "json", "sarif", "github")


def _repo(root: Path, folder: str | bytes) -> Path:
    (root / ".git").mkdir(parents=True)
    sub = os.path.join(os.fsencode(root), os.fsencode(folder))
    os.mkdir(sub)
    with open(os.path.join(sub, b"catalog-info.yaml"), "w", encoding="utf-8") as fh:
        fh.write(BAD)
    return root


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "portal_lint", ".", "--select", "CAT", *args],
        cwd=root,
        capture_output=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"},
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_path_with_line_breaks_forges_no_line_in_any_format(tmp_path: Path, fmt: str) -> None:
    root = _repo(tmp_path, INJECT)
    proc = _cli(root, "--format", fmt)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout.decode("utf-8")
    assert not any(line.startswith("::error file=x") for line in out.split("\n"))
    for forbidden in ("\r", "\x1b", "\u2028", "\x85"):
        assert forbidden not in out
    if fmt == "text":
        finding, summary = out.rstrip("\n").split("\n")[0], out.rstrip("\n").split("\n")[-1]
        shown = "a\\n::error file=x,line=1::INJECT\\u2028\\x85\\x1b[2J/catalog-info.yaml"
        assert finding.startswith(f"{shown}:4:9:")
        assert summary.startswith("Found 1 error")
    if fmt == "github":
        [annotation] = [line for line in out.split("\n") if line.startswith("::error ")]
        escaped = "a%0A%3A%3Aerror file=x%2Cline=1%3A%3AINJECT\\u2028\\x85\\x1b[2J/catalog-info.yaml"
        assert annotation.startswith(f"::error file={escaped},line=4,")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_folder_name_that_is_not_utf8_is_reported_in_every_format_and_file(
    tmp_path: Path, fmt: str
) -> None:
    root = _repo(tmp_path, b"caf\xe9")
    proc = _cli(root, "--format", fmt, "--output", "out.txt", "--report", f"{fmt}=report.txt")
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr, proc.stderr
    for name in ("out.txt", "report.txt"):
        text = (root / name).read_bytes().decode("utf-8")  # valid UTF-8
        assert any(shown in text for shown in ("caf\\xe9/", "caf\\\\xe9/", "caf%E9/")), text
    proc = _cli(root, "--format", fmt)
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr
    proc.stdout.decode("utf-8")
    if fmt == "json":
        assert json.loads(proc.stdout)["findings"][0]["path"] == "caf\\xe9/catalog-info.yaml"


def test_sarif_uris_are_percent_encoded(tmp_path: Path) -> None:
    root = _repo(tmp_path, "a b#c%20d")
    proc = _cli(root, "--format", "sarif")
    [result] = json.loads(proc.stdout)["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "a%20b%23c%2520d/catalog-info.yaml", "uriBaseId": "%SRCROOT%"}

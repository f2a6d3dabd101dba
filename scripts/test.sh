#!/usr/bin/env bash
# The test command of the README: lint and type-check the code, check its layers, then run every test,
# including the live-catalog tests against a real Backstage backend (the test session
# installs and starts it from ../shared/backstage into .cache/, and stops it at the end).
set -uo pipefail
cd "$(dirname "$0")/.."

# The README's set-up installs into .venv; use it unless another environment is active.
if [ -z "${VIRTUAL_ENV:-}" ] && [ -x .venv/bin/python3 ]; then
  PATH="$PWD/.venv/bin:$PATH"
fi
if ! python3 -c 'import pytest' 2>/dev/null; then
  echo "scripts/test.sh: pytest is not installed: run the README's set-up first" \
    "(python3 -m venv .venv && .venv/bin/pip install -e '.[test]')" >&2
  exit 1
fi
# Say what the live tests lack now, not after minutes of npm ci.
if [ "${PORTAL_LINT_SKIP_LIVE:-}" != "1" ]; then
  .ci/backstage.sh check || exit 1
fi

ruff check . || exit 1
ruff format --check . || exit 1
mypy || exit 1
if ! command -v lint-imports >/dev/null; then
  echo "scripts/test.sh: lint-imports not found; install the test tools: .venv/bin/pip install -e '.[test]'" >&2
  exit 1
fi
lint-imports --no-cache --no-logo || exit 1  # the layers of docs/architecture.md (pyproject.toml)

python3 -m pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "scripts/test.sh: pytest collected no tests; that is a failure here" >&2
  exit 1
fi
exit "$rc"

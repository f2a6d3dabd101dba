#!/usr/bin/env bash
# The test command of the README: lint and type-check the code, check its layers, then run every test,
# including the live-catalog tests against a real Backstage backend (the test session
# installs and starts it from ../shared/backstage into .cache/, and stops it at the end).
set -uo pipefail
cd "$(dirname "$0")/.."

ruff check . || exit 1
ruff format --check . || exit 1
mypy || exit 1
if ! command -v lint-imports >/dev/null; then
  echo "scripts/test.sh: lint-imports not found; install the test tools: python3 -m pip install -e '.[test]'" >&2
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

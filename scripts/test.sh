#!/usr/bin/env bash
# The README's test command: installs what the tests need (scripts/test-deps.sh: PostgreSQL,
# Chromium and its WebDriver, a CJK font), starts a throwaway PostgreSQL on 127.0.0.1 and runs
# every test of the workspace against it and SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-deps.sh
pgdir=$(mktemp -d /tmp/kefu-test-pg.XXXXXX)
trap 'scripts/pg-test-server.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
eval "$(scripts/pg-test-server.sh start "$pgdir")"
echo "PostgreSQL for the tests: $KEFU_TEST_PG_URL" >&2
cargo test --workspace "$@"

#!/usr/bin/env bash
# The whole test suite, as the README and CI run it: system peers, type-check, lint, import cycles, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
bash scripts/system-deps.sh
echo "== tsc --noEmit"
tsc --noEmit
echo "== biome check"
biome check .
echo "== import cycles"
bun scripts/import-cycles.ts
echo "== bun test"
log="$(mktemp)"
set +e
# Tests spawn the compiled binary, PostgreSQL and a browser: give each room on a loaded machine
# (bunfig.toml has no per-test timeout setting; the default is 5 s).
bun test --timeout 60000 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -Eo '^ *[0-9]+ pass$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
failed=$(grep -Eo '^ *[0-9]+ fail$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
rm -f "$log"
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"

#!/usr/bin/env bash
# Size check (issue 11, "Habits that keep it so"): no source file over 600 lines.
#
# Fails, listing each offender with its line count, when a `*.rs` file under crates/*/src has
# more than MAX lines (600, or the first argument). Exempt, because they are tests and a test
# file may be as long as its cases need:
#   - anything under a `tests/` directory (integration tests are not under src/ anyway, and a
#     `src/**/tests/` directory holds unit tests);
#   - a file named `tests.rs` (a `mod tests;` split out of its module);
#   - a file whose first attribute line is `#![cfg(test)]` (compiled only for tests).
# Functions over 100 lines are clippy's job (too_many_lines, clippy.toml), not this script's.
#
# Usage: scripts/check-size.sh [MAX]   (from anywhere; it checks the repository it lives in)
set -euo pipefail
cd "$(dirname "$0")/.."
max="${1:-600}"

offenders=0
while IFS= read -r -d '' file; do
    case "$file" in
        */tests/* | */tests.rs) continue ;;
    esac
    if grep -qm1 '^#!\[cfg(test)\]' "$file"; then
        continue
    fi
    lines=$(wc -l <"$file")
    if [ "$lines" -gt "$max" ]; then
        printf '%6d %s\n' "$lines" "$file"
        offenders=$((offenders + 1))
    fi
done < <(find crates/*/src -name '*.rs' -print0 | sort -z)

if [ "$offenders" -gt 0 ]; then
    echo "check-size: $offenders source file(s) over $max lines; split them by what their parts are" >&2
    exit 1
fi
echo "check-size: no source file over $max lines"

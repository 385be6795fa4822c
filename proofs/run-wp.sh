#!/usr/bin/env bash
# Runs the Frama-C/WP proofs of every function on proofs/core-paths.txt.
# Usage: proofs/run-wp.sh [source-root] [output-dir] [list-file]
# Everything it writes (Why3 config, WP sessions, reports) goes to output-dir
# (default: ./proofs-out); nothing is cached elsewhere.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "${1:-$(dirname "$here")}" && pwd)"
out="${2:-$PWD/proofs-out}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

for tool in frama-c why3 z3 cvc4 python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "run-wp: $tool not found (run 'make deps')" >&2
        exit 1
    fi
done

# A private Why3 configuration, detected afresh: works with no ~/.why3.conf and
# ignores whatever the user's one says. WP reads it through WHY3CONFIG.
export WHY3CONFIG="$out/why3.conf"
rm -f "$WHY3CONFIG"
why3 config detect >"$out/why3-detect.log" 2>&1 || true
if ! grep -qi 'name = "z3"' "$WHY3CONFIG" 2>/dev/null ||
    ! grep -qi 'name = "cvc4"' "$WHY3CONFIG" 2>/dev/null; then
    echo "run-wp: why3 did not detect Z3 and CVC4 (see $out/why3-detect.log)" >&2
    exit 1
fi
list=""
if [ -n "${3:-}" ]; then
    list="$(cd "$(dirname "$3")" && pwd)/$(basename "$3")"
fi
# Frama-C writes its own state (.frama-c/) in the working directory.
cd "$out"
exec python3 "$here/wp_runner.py" "$root" "$out" ${list:+"$list"}

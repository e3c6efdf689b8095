#!/usr/bin/env bash
# Builds every fuzz target and runs each for SECONDS (default 30), one after the other, from a
# temporary copy of the committed corpus (tests/fuzz/corpus stays as committed). Fails when a
# target finds a crash, a timeout or an out-of-memory; the input is kept in tests/fuzz/artifacts.
#
#   tests/fuzz/run.sh [SECONDS]
#
# Needs a nightly toolchain or RUSTC_BOOTSTRAP=1 on stable (set here); installs cargo-fuzz if
# it is missing.
set -euo pipefail

seconds="${1:-30}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

export RUSTC_BOOTSTRAP=1
fuzz=(--fuzz-dir tests/fuzz --target-dir tests/fuzz/target)

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install --locked cargo-fuzz
fi

cargo fuzz build "${fuzz[@]}"

work="$(mktemp -d "${TMPDIR:-/tmp}/mcpmux-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT

failed=()
for target in $(cargo fuzz list --fuzz-dir tests/fuzz); do
    mkdir -p "$work/$target"
    cp -R tests/fuzz/corpus/"$target"/. "$work/$target/"
    echo "=== $target: ${seconds}s"
    if ! cargo fuzz run "${fuzz[@]}" "$target" "$work/$target" -- \
        -max_total_time="$seconds" -timeout=30 -print_final_stats=1; then
        failed+=("$target")
    fi
done

if ((${#failed[@]})); then
    echo "fuzzing found problems in: ${failed[*]} (inputs under tests/fuzz/artifacts/)" >&2
    exit 1
fi
echo "all fuzz targets ran ${seconds}s without a crash"

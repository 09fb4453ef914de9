#!/usr/bin/env bash
# Benchmarks B7 (start time and idle memory against a Tauri hello-world) and B8 (keypress
# to paint in the editor against the same UI over a plain string) on the built desktop app,
# under Xvfb like scripts/e2e.sh. Builds the UI, then meridian-desktop, its hello-world peer
# (benches/hello-tauri) and the CLI in one cargo invocation, so both apps link the very same
# tauri build, with the same profile and features; then runs the release bench binaries of
# benches/desktop. Tables go to stdout, JSON to $CARGO_TARGET_DIR/bench-results/b7.json, b8.json.
#
#   scripts/bench-desktop.sh              # both, on release builds (what scripts/run.sh runs)
#   scripts/bench-desktop.sh b8           # one of them
#   BENCH_PROFILE=debug scripts/bench-desktop.sh b7   # both apps as debug builds
#
# B7_RUNS, B7_IDLE_S, B8_KEYS, B8_ROUNDS, B8_INTERVAL_MS, B8_WARMUP tune them (see
# benches/desktop/src/bin/). Needs what scripts/e2e.sh needs, and ../shared/corpus.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"
meridian_deps test
root="$MERIDIAN_ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
profile="${BENCH_PROFILE:-release}"
case "$profile" in
  debug) flags=() ;;
  release) flags=(--release) ;;
  *) echo "BENCH_PROFILE must be debug or release, not $profile" >&2; exit 2 ;;
esac

meridian_ui_build >&2
# The release set is the one every release build here uses (deps.sh), so the bench reuses
# what scripts/run.sh and scripts/package.sh built.
if [ "$profile" = release ]; then
  meridian_release_build >&2
else
  cargo build --locked "${flags[@]}" --manifest-path "$root/Cargo.toml" \
    -p meridian-desktop -p hello-tauri -p meridian-cli >&2
fi
cargo build --locked --release --manifest-path "$root/Cargo.toml" -p meridian-desktop-bench >&2

bin="$CARGO_TARGET_DIR/$profile"
export B7_MERIDIAN="$bin/meridian-desktop" B7_HELLO="$bin/hello-tauri" B7_CLI="$bin/meridian"
export B8_APP="$bin/meridian-desktop" B8_CLI="$bin/meridian"
for bench in "${@:-b7 b8}"; do
  for b in $bench; do
    case "$b" in
      b7|b8) "$CARGO_TARGET_DIR/release/$b" ;;
      *) echo "unknown benchmark $b (b7 or b8)" >&2; exit 2 ;;
    esac
  done
done

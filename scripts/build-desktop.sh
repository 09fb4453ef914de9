#!/usr/bin/env bash
# Builds the desktop app with the built UI embedded (the `custom-protocol` feature, on by
# default) and prints the binary's path on the last line. What `tauri build --debug
# --no-bundle` does, without the Tauri CLI (which wants tauri.conf.json inside src-tauri/).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"
meridian_deps app >&2
npm --prefix "$MERIDIAN_ROOT/ui" run build >&2
cargo build --locked -p meridian-desktop --manifest-path "$MERIDIAN_ROOT/Cargo.toml" >&2
echo "$CARGO_TARGET_DIR/debug/meridian-desktop"

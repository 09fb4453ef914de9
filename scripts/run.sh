#!/usr/bin/env bash
# Runs the Meridian desktop app on a local workspace (created on first run).
# Installs what is missing first. The workspace lives in $MERIDIAN_DATA_DIR, by default
# ~/.local/share/meridian.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"
meridian_deps app
cd "$MERIDIAN_ROOT"
echo "==> building the UI"
npm --prefix ui run build --silent
# The desktop binary that embeds the built UI (custom-protocol) gets its own target folder,
# shared with the end-to-end tests, so it never overwrites the plain debug build.
export CARGO_TARGET_DIR="${MERIDIAN_DESKTOP_TARGET:-$HOME/.cache/meridian/e2e-target}"
echo "==> building the desktop app"
cargo build --locked -p meridian-desktop --features tauri/custom-protocol
exec "$CARGO_TARGET_DIR/debug/meridian-desktop" "$@"

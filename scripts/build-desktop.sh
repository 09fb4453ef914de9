#!/usr/bin/env bash
# Builds the desktop app with the built UI embedded (the `custom-protocol` feature, on by
# default) and prints the binary's path on the last line. What `tauri build --no-bundle`
# does, without the Tauri CLI (which wants tauri.conf.json inside src-tauri/).
#
# A release build by default: the app a user runs. MERIDIAN_PROFILE=debug builds the
# debug app instead (faster to rebuild while working on the Rust side; dependencies at
# opt-level 1). A second run rebuilds nothing unless sources changed: cargo checks its own
# freshness, and the UI is rebuilt only when its sources changed (meridian_ui_build).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"
meridian_deps app >&2
profile="${MERIDIAN_PROFILE:-release}"
meridian_ui_build >&2
case "$profile" in
  release) meridian_release_build >&2 ;;
  debug) cargo build --locked -p meridian-desktop --manifest-path "$MERIDIAN_ROOT/Cargo.toml" >&2 ;;
  *) echo "error: MERIDIAN_PROFILE must be release or debug, not '$profile'" >&2; exit 2 ;;
esac
echo "$CARGO_TARGET_DIR/$profile/meridian-desktop"

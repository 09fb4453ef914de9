#!/usr/bin/env bash
# Builds the desktop app with the bundled UI (what `tauri build --debug --no-bundle` does,
# without the Tauri CLI, which wants tauri.conf.json inside src-tauri/). The binary goes to
# its own target folder so it never overwrites the plain `cargo build` binary, which loads
# the dev server instead of the built UI.
#
#   scripts/build-desktop.sh            # prints the binary's path on the last line
#   E2E_TARGET_DIR=... scripts/build-desktop.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${E2E_TARGET_DIR:-${HOME}/.cache/meridian/e2e-target}"

npm --prefix "$root/ui" ci --no-audit --no-fund >&2
npm --prefix "$root/ui" run build >&2
CARGO_TARGET_DIR="$target" cargo build --locked -p meridian-desktop --features tauri/custom-protocol \
  --manifest-path "$root/Cargo.toml" >&2
echo "$target/debug/meridian-desktop"

#!/usr/bin/env bash
# The desktop end-to-end test, from nothing: builds the UI and the app (scripts/build-desktop.sh),
# then runs the WebDriver test against it (tests/it/desktop) with MERIDIAN_E2E=1, under which
# it must run and fails loudly if anything is missing. Screenshots land in artifacts/e2e/.
#
# Needs: Node + npm, the Tauri Debian packages, webkit2gtk-driver, xvfb, xauth, and
# `cargo install tauri-driver --version 2.1.0 --locked`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"
meridian_deps test
root="$MERIDIAN_ROOT"
start=$(date +%s)

bin="$("$root/scripts/build-desktop.sh" | tail -n 1)"
built=$(date +%s)
echo "built $bin in $((built - start)) s" >&2

export PATH="$HOME/.cargo/bin:$PATH"
export MERIDIAN_E2E=1
export MERIDIAN_DESKTOP_BIN="$bin"
# The sync scenarios run a real relay and a CLI device beside the app.
cargo build --locked --manifest-path "$root/Cargo.toml" -p meridian-cli -p meridian-relay >&2
export MERIDIAN_CLI_BIN="$CARGO_TARGET_DIR/debug/meridian"
export MERIDIAN_RELAY_BIN="$CARGO_TARGET_DIR/debug/meridian-relay"
export MERIDIAN_E2E_ARTIFACTS="${MERIDIAN_E2E_ARTIFACTS:-$root/artifacts/e2e}"
mkdir -p "$MERIDIAN_E2E_ARTIFACTS"
cargo test --locked --manifest-path "$root/Cargo.toml" -p meridian-system-tests --test it \
  desktop -- --nocapture
echo "e2e passed in $(($(date +%s) - start)) s (build $((built - start)) s); screenshots in $MERIDIAN_E2E_ARTIFACTS" >&2

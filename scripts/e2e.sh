#!/usr/bin/env bash
# The desktop end-to-end test alone, from nothing: builds the UI and the workspace the way
# scripts/test.sh does (meridian_build_for_tests, then the release app and its .deb with
# scripts/package.sh deb), then runs the WebDriver test against the release app
# (tests/it/desktop; MERIDIAN_PROFILE=debug: the debug app) with MERIDIAN_E2E=1, under
# which it must run and fails loudly if anything is missing. Screenshots land in
# artifacts/e2e/. scripts/test.sh runs the same test inside its one `cargo test --workspace`.
#
# Needs: Node + npm, the Tauri Debian packages, webkit2gtk-driver, xvfb, xauth, and
# `cargo install tauri-driver --version 2.1.0 --locked`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"
meridian_deps test
root="$MERIDIAN_ROOT"
start=$(date +%s)

meridian_ui_build >&2
meridian_build_for_tests >&2
# The suite drives the release app and tests its .deb (MERIDIAN_PROFILE=debug: the debug app).
if [ "${MERIDIAN_PROFILE:-release}" = release ]; then
  "$root/scripts/package.sh" deb >&2
fi
built=$(date +%s)
echo "built in $((built - start)) s" >&2

meridian_e2e_env
# Every test binary runs with this filter; only the desktop module matches. (Selecting the
# system tests' binary alone would resolve other features and compile again.)
cargo test --locked --manifest-path "$root/Cargo.toml" --workspace desktop:: -- --nocapture
echo "e2e passed in $(($(date +%s) - start)) s (build $((built - start)) s); screenshots in $MERIDIAN_E2E_ARTIFACTS" >&2

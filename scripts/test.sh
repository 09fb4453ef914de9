#!/usr/bin/env bash
# Runs every test of Meridian: formatting and lints, the UI checks and unit tests, the
# Rust test suites (real SQLite files, kill -9 crash runs, the CLI on the corpus), and the
# end-to-end test that drives the real desktop app under Xvfb through WebDriver.
# Installs what is missing first; a second run reuses the build cache.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"
meridian_deps test
cd "$MERIDIAN_ROOT"

step() { echo; echo "==> $*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "UI: formatting, type check, unit tests, build"
npm --prefix ui run format:check
npm --prefix ui run check
npm --prefix ui test
meridian_ui_build

step "cargo clippy"
cargo clippy --locked --workspace --all-targets -- -D warnings

step "cargo build: every crate once for the tests, with the programs the end-to-end test runs"
meridian_build_for_tests

if [ "${MERIDIAN_PROFILE:-release}" = release ]; then
  step "the release app and its .deb (scripts/package.sh deb): the end-to-end test drives them"
  ./scripts/package.sh deb
fi

step "cargo test, with the real desktop app end to end through WebDriver"
meridian_e2e_env
cargo test --locked --workspace

echo
echo "All tests passed."

#!/usr/bin/env bash
# Installs what Meridian needs and is missing; skips what is already there, so a second
# run is quick. Sourced by scripts/run.sh and scripts/test.sh.
#   meridian_deps app   — build and run the desktop app
#   meridian_deps test  — also what the end-to-end tests drive the app with
set -euo pipefail

MERIDIAN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/meridian/target}"
# One-shot builds (CI, the run command) gain nothing from incremental state, which would
# otherwise double the cache on disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

_sudo() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

_apt_missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

_apt_ensure() {
  local missing
  missing=$(_apt_missing "$@")
  if [ -n "$missing" ]; then
    echo "==> installing Debian packages: $(echo $missing)"
    _sudo apt-get update
    # shellcheck disable=SC2086
    _sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
  fi
}

meridian_deps() {
  local what="${1:-app}"
  if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo is not installed; install Rust 1.95+ with rustup (https://rustup.rs) and run this again" >&2
    exit 1
  fi
  _apt_ensure libwebkit2gtk-4.1-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev \
    libayatana-appindicator3-dev libxdo-dev libssl-dev build-essential pkg-config curl file
  if ! command -v npm >/dev/null 2>&1; then
    _apt_ensure nodejs npm
  fi
  if [ "$what" = test ]; then
    _apt_ensure webkit2gtk-driver xvfb xauth
    # The local-network tests build network namespaces (ip, unshare, nsenter) and open
    # sockets from inside them with python3.
    _apt_ensure iproute2 util-linux python3
    # The relay's PostgreSQL backend is tested against a real server that the tests start
    # in a temporary folder (meridian-testkit's postgres module): initdb, pg_ctl, psql.
    _apt_ensure postgresql
    if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
      echo "==> installing tauri-driver"
      cargo install tauri-driver --version 2.1.0 --locked
    fi
  fi
  # npm ci only when the lock file changed since the last install.
  local stamp="$MERIDIAN_ROOT/ui/node_modules/.meridian-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$MERIDIAN_ROOT/ui/package-lock.json" "$stamp"; then
    echo "==> npm ci (ui/)"
    (cd "$MERIDIAN_ROOT/ui" && npm ci --no-audit --no-fund)
    cp "$MERIDIAN_ROOT/ui/package-lock.json" "$stamp"
  fi
}

# Builds the UI into ui/dist unless its sources are unchanged since the last build here.
# The app embeds ui/dist and cargo rebuilds it whenever those files are rewritten (even
# with the same bytes), so a second `scripts/run.sh` must not rebuild the UI for nothing.
# The stamp is a hash of every file the build reads (sources, HTML entries, configs, lock).
meridian_ui_build() {
  local ui="$MERIDIAN_ROOT/ui" stamp="$MERIDIAN_ROOT/ui/node_modules/.meridian-dist" hash
  hash=$(cd "$ui" && find src index.html bench.html package.json package-lock.json svelte.config.js \
      vite.config.ts tsconfig.json tsconfig.app.json tsconfig.node.json -type f -print0 2>/dev/null \
    | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
  if [ -f "$ui/dist/index.html" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
    echo "==> UI unchanged since its last build (ui/dist)"
    return
  fi
  npm --prefix "$ui" run build
  echo "$hash" >"$stamp"
}

# The release programs, built by one cargo invocation with one feature set wherever a
# release build is made (scripts/run.sh, scripts/package.sh, the end-to-end test on the
# release app, scripts/bench-desktop.sh), so that they all share one set of compiled
# dependencies in $CARGO_TARGET_DIR/release: the app, the `meridian` CLI, and B7's
# hello-world peer (same tauri, same features; it adds one small link). Build the UI first.
meridian_release_build() {
  cargo build --locked --release --manifest-path "$MERIDIAN_ROOT/Cargo.toml" \
    -p meridian-desktop -p meridian-cli -p hello-tauri
}

# Builds every crate of the workspace once for the tests: the test targets and the programs
# (the desktop app, `meridian`, `meridian-relay`) with one feature set. Building the app
# alone (`-p meridian-desktop`) or the CLI and relay alone would resolve other features for
# shared dependencies and compile a few hundred crates again; with `--workspace --bins
# --tests` the later `cargo test --workspace` compiles nothing more. The UI must be built
# first (the app embeds it).
meridian_build_for_tests() {
  cargo build --locked --manifest-path "$MERIDIAN_ROOT/Cargo.toml" --workspace --bins --tests
}

# The environment under which the desktop end-to-end test (tests/it/desktop) must run and
# fails loudly if anything is missing, with the programs meridian_build_for_tests built
# (the CLI and relay beside the app are those debug builds).
meridian_e2e_env() {
  export PATH="$HOME/.cargo/bin:$PATH"
  export MERIDIAN_E2E=1
  # The suite drives the release app, the one users run, which meridian_release_build (or
  # scripts/package.sh) built, and tests the .deb that scripts/package.sh deb made from it.
  # MERIDIAN_PROFILE=debug drives the debug app meridian_build_for_tests built instead, and
  # skips the package test.
  local profile="${MERIDIAN_PROFILE:-release}"
  export MERIDIAN_DESKTOP_BIN="$CARGO_TARGET_DIR/$profile/meridian-desktop"
  if [ "$profile" = release ]; then
    local deb
    deb=$(find "$CARGO_TARGET_DIR/release/bundle/deb" -maxdepth 1 -name '*.deb' 2>/dev/null | head -n 1)
    export MERIDIAN_DEB="${deb:-$CARGO_TARGET_DIR/release/bundle/deb/Meridian_0.1.0_amd64.deb}"
  else
    unset MERIDIAN_DEB
  fi
  # The sync scenarios run a real relay and a CLI device beside the app.
  export MERIDIAN_CLI_BIN="$CARGO_TARGET_DIR/debug/meridian"
  export MERIDIAN_RELAY_BIN="$CARGO_TARGET_DIR/debug/meridian-relay"
  export MERIDIAN_E2E_ARTIFACTS="${MERIDIAN_E2E_ARTIFACTS:-$MERIDIAN_ROOT/artifacts/e2e}"
  # The local-network tests (tests/it/lan_*) need root for network namespaces; as root
  # they must run, not skip.
  if [ "$(id -u)" = 0 ]; then export MERIDIAN_REQUIRE_NETNS=1; fi
  mkdir -p "$MERIDIAN_E2E_ARTIFACTS"
}

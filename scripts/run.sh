#!/usr/bin/env bash
# Runs the Meridian desktop app on a local workspace (created on first run).
# Installs what is missing first, builds the release app once and reuses it (a second run
# only rebuilds what changed; MERIDIAN_PROFILE=debug runs the debug build instead). The
# workspace lives in $MERIDIAN_DATA_DIR, by default ~/.local/share/meridian.
set -euo pipefail
bin="$("$(dirname "${BASH_SOURCE[0]}")/build-desktop.sh" | tail -n 1)"
exec "$bin" "$@"

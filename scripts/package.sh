#!/usr/bin/env bash
# Builds installable packages of the desktop app with Tauri's bundler, from the release
# build (the same binary scripts/run.sh runs and the end-to-end test drives):
#
#   scripts/package.sh              # .deb and AppImage
#   scripts/package.sh deb          # only the .deb (what scripts/test.sh builds and tests)
#   scripts/package.sh appimage     # only the AppImage
#
# Packages land in $CARGO_TARGET_DIR/release/bundle/<format>/; their paths are printed on the
# last lines. The bundler is the Tauri CLI from ui/node_modules (@tauri-apps/cli, the same
# 2.12 as the tauri crate; `npm ci` installs it). Bundle settings (description, category,
# icons, the .deb's dependencies) live in tauri.conf.json under `bundle`.
#
# The CLI takes the folder holding tauri.conf.json for the app crate, and ours lives at the
# repository root (build.rs names it). So for the bundling step only, this writes
# src-tauri/tauri.conf.json: the root file with its paths rebased onto src-tauri/ and the
# bundle switched on, removed again on exit (git ignores it; cargo does not read it).
#
# The AppImage bundler downloads linuxdeploy and its plugins from GitHub on first use; on a
# machine that cannot reach GitHub it fails, and this script then says so and exits non-zero
# after building the other formats.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh"
root="$MERIDIAN_ROOT"
formats=("$@")
[ ${#formats[@]} -gt 0 ] || formats=(deb appimage)
for f in "${formats[@]}"; do
  case "$f" in
    deb | appimage) ;;
    *) echo "error: unknown package format '$f' (deb or appimage)" >&2; exit 2 ;;
  esac
done

meridian_deps app >&2
meridian_ui_build >&2
meridian_release_build >&2
# strip (binutils) removes the debug line tables from the packaged binary; dpkg-deb repacks it.
_apt_ensure binutils >&2

tauri="$root/ui/node_modules/.bin/tauri"
[ -x "$tauri" ] || { echo "error: $tauri is missing: run npm ci in ui/" >&2; exit 1; }

conf="$root/src-tauri/tauri.conf.json"
trap 'rm -f "$conf"' EXIT
node - "$root/tauri.conf.json" "$conf" <<'JS'
const fs = require('fs');
const [src, dst] = process.argv.slice(2);
const c = JSON.parse(fs.readFileSync(src, 'utf8'));
// Paths in the root file are relative to the root; the CLI reads them relative to src-tauri.
c.build = { frontendDist: '../' + c.build.frontendDist };
c.bundle.icon = c.bundle.icon.map((p) => '../' + p);
c.bundle.active = true;
c.mainBinaryName = 'meridian-desktop';
fs.writeFileSync(dst, JSON.stringify(c, null, 2));
JS

bundle_dir="$CARGO_TARGET_DIR/release/bundle"
built=()
failed=()
for f in "${formats[@]}"; do
  echo "==> bundling $f" >&2
  rm -rf "${bundle_dir:?}/$f"
  # --no-binary-patching: the packaged binary stays byte for byte the one the tests ran.
  if (cd "$root" && TAURI_APP_PATH="$root/src-tauri" CI=true "$tauri" bundle --bundles "$f" \
    --no-sign --no-binary-patching) >&2; then
    built+=("$f")
  else
    failed+=("$f")
  fi
done

# The release profile keeps line tables for profiling (Cargo.toml); the .deb ships the
# binary without them (symbols stay, so a crash's backtrace still names functions).
for deb in "$bundle_dir"/deb/*.deb; do
  [ -f "$deb" ] || continue
  work=$(mktemp -d)
  dpkg-deb -R "$deb" "$work/pkg"
  strip --strip-debug "$work/pkg/usr/bin/meridian-desktop"
  # Installed-Size follows the stripped binary.
  size=$(du -sk --exclude=DEBIAN "$work/pkg" | cut -f1)
  sed -i "s/^Installed-Size: .*/Installed-Size: $size/" "$work/pkg/DEBIAN/control"
  (cd "$work/pkg" && find . -path ./DEBIAN -prune -o -type f -print0 | LC_ALL=C sort -z \
    | xargs -0 md5sum | sed 's| \./| |' >DEBIAN/md5sums)
  dpkg-deb --root-owner-group -Zxz -b "$work/pkg" "$deb" >/dev/null
  rm -rf "$work"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "error: bundling ${failed[*]} failed (see above); built: ${built[*]:-nothing}" >&2
  for f in "${failed[@]}"; do
    if [ "$f" = appimage ]; then
      echo "  the AppImage bundler downloads linuxdeploy from github.com on first use; without" >&2
      echo "  access to GitHub it cannot run (the .deb needs nothing from the network)" >&2
    fi
  done
fi
for f in "${built[@]}"; do
  find "$bundle_dir/$f" -maxdepth 1 -type f \( -name '*.deb' -o -name '*.AppImage' \)
done
[ ${#failed[@]} -eq 0 ]

#!/usr/bin/env bash
# Coverage-guided fuzzing of every decoder and parser (issue 21), time-boxed so CI can run
# it: `scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]` (default 60 s, every target).
#
# One target at a time, one process each (the machine is shared). Builds with cargo-fuzz
# on the nightly toolchain into its own cache (never into the repository), seeds each
# target from fuzz/seeds/ plus, for Markdown, every file of ../shared/corpus, and keeps the
# growing corpus in ~/.cache/meridian/fuzz. A crash, timeout or out-of-memory input is
# copied to fuzz/regressions/<target>/, which `cargo test -p meridian-fuzz` replays on
# stable; the script then exits non-zero. The table at the end is what fuzz/README.md
# records.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_TARGET="${1:-60}"
shift || true
export CARGO_TARGET_DIR="${MERIDIAN_FUZZ_TARGET_DIR:-$HOME/.cache/meridian/fuzz-target}"
WORK="${MERIDIAN_FUZZ_WORK:-$HOME/.cache/meridian/fuzz}"
CORPUS_SRC="$ROOT/../shared/corpus"

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "error: fuzzing needs the nightly toolchain (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

cd "$ROOT/fuzz"
if [ "$#" -gt 0 ]; then
  TARGETS=("$@")
else
  mapfile -t TARGETS < <(cargo +nightly fuzz list)
fi

echo "==> building ${#TARGETS[@]} fuzz targets (nightly, optimised, sanitizer on)"
cargo +nightly fuzz build -O

# Larger seed corpora from real data, made at run time (not kept in the repository).
seed_corpus() {
  local target="$1" dir="$2"
  case "$target" in
    markdown)
      if [ -d "$CORPUS_SRC" ]; then
        # Mode byte 0 (read as `meridian import` reads any file), then the file.
        find "$CORPUS_SRC" -name '*.md' -size -64k -print0 |
          while IFS= read -r -d '' f; do
            name="corpus-$(printf '%s' "$f" | sha1sum | cut -c1-16)"
            [ -e "$dir/$name" ] || { printf '\0'; cat "$f"; } >"$dir/$name"
          done
      else
        echo "    ($CORPUS_SRC is absent: fuzz/seeds only)"
      fi
      ;;
  esac
}

max_len() {
  case "$1" in
    markdown) echo 65536 ;;
    store_load) echo 32768 ;;
    *) echo 8192 ;;
  esac
}

# Scripts (a step per few bytes) are worth their full length at once, not grown slowly.
extra_flags() {
  case "$1" in
    relay_conn | membership_ops) echo "-len_control=0" ;;
    *) echo "" ;;
  esac
}

SUMMARY="$WORK/summary.md"
mkdir -p "$WORK"
{
  echo "| target | seconds | executions | exec/s | corpus | crashes |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
} >"$SUMMARY"
failed=0
for t in "${TARGETS[@]}"; do
  corpus="$WORK/corpus/$t"
  artifacts="$WORK/artifacts/$t"
  log="$WORK/logs/$t.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  rm -f "$artifacts"/*
  seed_corpus "$t" "$corpus"
  echo "==> $t: ${SECONDS_PER_TARGET}s"
  start=$(date +%s)
  set +e
  cargo +nightly fuzz run -O "$t" "$corpus" "seeds/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 \
    -max_len="$(max_len "$t")" -print_final_stats=1 $(extra_flags "$t") \
    -artifact_prefix="$artifacts/" >"$log" 2>&1
  status=$?
  set -e
  took=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  size=$(find "$corpus" -type f | wc -l)
  crashes=0
  for a in "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-* "$artifacts"/leak-*; do
    [ -e "$a" ] || continue
    mkdir -p "regressions/$t"
    cp "$a" "regressions/$t/$(basename "$a")"
    echo "    kept $(basename "$a") in fuzz/regressions/$t/"
    crashes=$((crashes + 1))
  done
  if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    failed=1
    echo "    $t failed (exit $status); the end of $log:"
    tail -n 30 "$log" | sed 's/^/    /'
  fi
  echo "| $t | $took | ${execs:-?} | ${rate:-?} | $size | $crashes |" >>"$SUMMARY"
done

echo
cat "$SUMMARY"
if [ "$failed" -ne 0 ]; then
  echo
  echo "Crashes were found: fix them, then \`cargo test -p meridian-fuzz\` replays them on stable." >&2
  exit 1
fi

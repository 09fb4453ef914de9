#!/usr/bin/env bash
# The seeded simulation of the sync protocol at scale (issue 21, part 6):
# `scripts/sim.sh [SEEDS] [SCALE] [FIRST]` runs seeds FIRST..FIRST+SEEDS (default 2,000 from
# 0) of crates/meridian-sync/tests/it/sim.rs in release, at SCALE (default 1: 3–6 devices,
# 1–3 documents, 200–400 chaos steps, what CI runs; scale s: up to 3+3s devices, 2+s
# documents, 200s–400s steps). MERIDIAN_SIM_THREADS=N sets the threads (default: every
# core). Every seed runs even after one fails; the table at the end gives seeds/s,
# envelopes/s, checkpoints, lost acks, the largest replica count, the longest history and
# each failing seed with the exact command that replays it. Exits non-zero if a seed failed.
# BENCHMARKS.md ("Simulation at scale") records runs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MERIDIAN_SIM_SEEDS="${1:-2000}"
export MERIDIAN_SIM_SCALE="${2:-1}"
export MERIDIAN_SIM_FIRST="${3:-0}"
cd "$ROOT"

echo "==> building the simulation (release)"
cargo test --locked --release -p meridian-sync --test it --no-run

echo "==> seeds $MERIDIAN_SIM_FIRST..$((MERIDIAN_SIM_FIRST + MERIDIAN_SIM_SEEDS)) at scale $MERIDIAN_SIM_SCALE"
exec cargo test --locked --release -p meridian-sync --test it sim::at_scale -- \
  --ignored --exact --nocapture

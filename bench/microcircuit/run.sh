#!/usr/bin/env bash
# Potjans & Diesmann microcircuit benchmark (not run in CI): spikec
# (dsl-examples/microcircuit.snn) vs NEST 3.x PyNEST microcircuit, 2 threads
# each, 0.1 s warm-up + 1 s. See bench/README.md.
#
#   bench/microcircuit/run.sh                  # N_scaling = K_scaling = 0.1, 3 repetitions
#   bench/microcircuit/run.sh --scale 0.2      # another scale
#   bench/microcircuit/run.sh --full           # full scale (77,169 neurons, ~3e8 synapses), 1 repetition;
#                                              # ~6 min; NEST peaks at ~14 GiB, spikec at ~3 GiB
#   bench/microcircuit/run.sh --engines jit,interp --reps 1
#   bench/microcircuit/run.sh --example ~/nest-simulator/pynest/examples/Potjans_2014
#                                              # NEST's own example files instead of nest_microcircuit.py
#   bench/microcircuit/run.sh --no-nest        # spikec only
#
# Environment: SPIKEC (a spikec binary instead of building the work tree),
# NEST_VENV (default bench/.venv, shared with bench/nest_crosscheck).
# Output: the tables on stdout and in bench/microcircuit/work/results-*.md;
# every command's output in bench/microcircuit/work/log.txt.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$here/../.." && pwd)"
# shellcheck source=../setup_peers.sh
. "$ROOT/bench/setup_peers.sh"

build_spikec
peer=()
case " $* " in
  *" --no-nest "*) ;;
  *) setup_nest_venv; peer+=(--nest-python "$NEST_PY") ;;
esac
exec python3 "$here/bench.py" --spikec "$SPIKEC" "${peer[@]}" "$@"

#!/usr/bin/env bash
# SpiNNaker mapping benchmark (not run in CI): `spikec build --target spinnaker`
# vs sPyNNaker 1!7.4.1 on a virtual board (mapping + host-side generation of
# all synaptic data), CUBA at 4,000 and 40,000 neurons and the full-scale
# microcircuit. See bench/README.md.
#
#   bench/spinnaker/run.sh                          # CUBA 4k, 40k (spikec 3 reps, sPyNNaker 1: ~3 min
#                                                   # for sPyNNaker) + microcircuit (spikec only)
#   bench/spinnaker/run.sh --cases cuba4k           # one case (cuba4k, cuba40k, microcircuit)
#   bench/spinnaker/run.sh --reps-spikec 5 --reps-spynnaker 3
#   bench/spinnaker/run.sh --only spynnaker         # one tool (spikec, spynnaker)
#   bench/spinnaker/run.sh --with-spynnaker-microcircuit [--spynnaker-mc-timeout S]
#                                                   # sPyNNaker on the microcircuit too: hours
#   bench/spinnaker/run.sh --mc-scale 0.1           # microcircuit at N_scaling = K_scaling = 0.1
#
# Environment: SPIKEC (a spikec binary; default: build the work tree with
# `cargo build --release -p spikec`, or NO_BUILD=1 to use target/release/spikec
# as it is), SPYNNAKER_VENV (default bench/.venv-spynnaker), SPYNNAKER_PYTHON
# (interpreter for a new venv), SPYNNAKER_SPEC (default sPyNNaker==1!7.4.1).
# A spikec without `build --target spinnaker` is reported as "not available"
# and the sPyNNaker side still runs.
# Output: the tables on stdout and in bench/spinnaker/work/results.md; every
# command's full output and GNU time report in bench/spinnaker/work/log.txt;
# sPyNNaker's run directories (cfg, reports/) in bench/spinnaker/work/spynnaker-*.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$here/../.." && pwd)"
# shellcheck source=../setup_peers.sh
. "$ROOT/bench/setup_peers.sh"

only="spikec,spynnaker"
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [ "${args[$i]}" = "--only" ] && only="${args[$((i + 1))]:-}"
  case "${args[$i]}" in --only=*) only="${args[$i]#--only=}" ;; esac
done

peer=()
if [[ ",$only," == *",spikec,"* ]]; then
  if [ -z "${SPIKEC:-}" ]; then
    if [ -n "${NO_BUILD:-}" ]; then
      SPIKEC="$ROOT/target/release/spikec"
    else
      echo "== cargo build --release -p spikec" >&2
      if (cd "$ROOT" && cargo build --release -p spikec --quiet); then
        SPIKEC="$ROOT/target/release/spikec"
      else
        echo "run.sh: cargo build failed: spikec will be reported as not available" >&2
        SPIKEC=""
      fi
    fi
  fi
  echo "== spikec: ${SPIKEC:-none}" >&2
  peer+=(--spikec "${SPIKEC:-}")
fi
if [[ ",$only," == *",spynnaker,"* ]]; then setup_spynnaker_venv; peer+=(--spynnaker-python "$SPYNNAKER_PY"); fi

exec python3 "$here/bench.py" "${peer[@]}" "$@"

#!/usr/bin/env bash
# CUBA benchmark (not run in CI): spikec (jit and interp) vs Brian2 2.x
# cpp_standalone vs NEST 3.x (1 thread). 4000 neurons, 10 s, dt 0.1 ms,
# 3 repetitions each, medians. See bench/README.md.
#
#   bench/cuba/run.sh                         # everything
#   bench/cuba/run.sh --reps 1 --duration 2   # quick look
#   bench/cuba/run.sh --only spikec-jit,nest  # subset (spikec-jit, spikec-interp, brian2, nest)
#
# Environment: SPIKEC (a spikec binary instead of building the work tree),
# NEST_VENV (default bench/.venv), BRIAN2_VENV (default bench/.venv-brian2),
# BRIAN2_PYTHON (interpreter for a new Brian2 venv).
# Output: the tables on stdout and in bench/cuba/work/results.md; every
# command's output in bench/cuba/work/log.txt.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$here/../.." && pwd)"
# shellcheck source=../setup_peers.sh
. "$ROOT/bench/setup_peers.sh"

only="spikec-jit,spikec-interp,brian2,nest"
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [ "${args[$i]}" = "--only" ] && only="${args[$((i + 1))]:-}"
  case "${args[$i]}" in --only=*) only="${args[$i]#--only=}" ;; esac
done

build_spikec
peer=()
if [[ ",$only," == *",nest,"* ]]; then setup_nest_venv; peer+=(--nest-python "$NEST_PY"); fi
if [[ ",$only," == *",brian2,"* ]]; then setup_brian2_venv; peer+=(--brian2-python "$BRIAN2_PY"); fi

exec python3 "$here/bench.py" --spikec "$SPIKEC" "${peer[@]}" "$@"

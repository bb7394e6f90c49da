# Sourced by bench/cuba/run.sh, bench/microcircuit/run.sh and bench/spinnaker/run.sh (bash).
# Defines: bench_fail, setup_nest_venv, setup_brian2_venv, setup_spynnaker_venv, build_spikec.
# Uses: ROOT (repository root). Sets: NEST_PY, BRIAN2_PY, SPYNNAKER_PY, SPIKEC.
#
# Three venvs, all kept out of git:
#   bench/.venv         NEST (shared with bench/nest_crosscheck; reused, never deleted)
#   bench/.venv-brian2  Brian2 (own venv: Brian2 2.9, the newest for Python 3.11,
#                       does not import with numpy 2.4 that bench/.venv has;
#                       Brian2 >= 2.10 needs Python >= 3.12, so a 3.13/3.12
#                       interpreter is preferred). venv writes a .gitignore
#                       with '*' into it; we make sure of that for older Pythons.
#   bench/.venv-spynnaker  sPyNNaker 1!7.4.1 (+ PyNN, the SpiNNaker tool chain,
#                       numpy, scipy, matplotlib) for bench/spinnaker.

bench_fail() { echo "run.sh: $*" >&2; exit 2; }

setup_nest_venv() {
  local venv="${NEST_VENV:-$ROOT/bench/.venv}"
  local spec="${NEST_SPEC:-nest-simulator==3.*}"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || bench_fail "cannot create a venv at $venv"
  fi
  if ! "$venv/bin/python" -c 'import nest, numpy' >/dev/null 2>&1; then
    echo "== installing $spec and numpy into $venv" >&2
    "$venv/bin/pip" install --quiet "$spec" numpy || bench_fail "pip could not install $spec"
  fi
  NEST_PY="$venv/bin/python"
  echo "== NEST $("$NEST_PY" -c 'import nest; print(nest.__version__)' 2>/dev/null | tail -n 1) ($venv)" >&2
}

# The newest Python available for Brian2 (BRIAN2_PYTHON overrides).
pick_brian2_python() {
  local c
  for c in "${BRIAN2_PYTHON:-}" python3.13 python3.12 \
           "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3 python3; do
    [ -n "$c" ] || continue
    if "$c" -c 'import sys, venv; assert sys.version_info >= (3, 9)' >/dev/null 2>&1; then
      echo "$c"; return 0
    fi
  done
  return 1
}

setup_brian2_venv() {
  local venv="${BRIAN2_VENV:-$ROOT/bench/.venv-brian2}"
  if [ ! -x "$venv/bin/python" ]; then
    local py
    py="$(pick_brian2_python)" || bench_fail "no python3 for the Brian2 venv"
    echo "== creating $venv with $py ($("$py" --version 2>&1))" >&2
    "$py" -m venv "$venv" || bench_fail "cannot create a venv at $venv"
  fi
  [ -f "$venv/.gitignore" ] || echo '*' > "$venv/.gitignore"
  if ! "$venv/bin/python" -c 'import brian2' >/dev/null 2>&1; then
    echo "== installing brian2 into $venv" >&2
    "$venv/bin/pip" install --quiet brian2 || bench_fail "pip could not install brian2"
    if ! "$venv/bin/python" -c 'import brian2' >/dev/null 2>&1; then
      # Brian2 2.9 (Python < 3.12) uses numpy.ndarray.ptp, gone in numpy 2.4.
      "$venv/bin/pip" install --quiet "numpy<2.4" || bench_fail "pip could not install numpy<2.4"
    fi
  fi
  BRIAN2_PY="$venv/bin/python"
  "$BRIAN2_PY" -c 'import brian2' || bench_fail "brian2 does not import in $venv (error above)"
  echo "== Brian2 $("$BRIAN2_PY" -c 'import brian2; print(brian2.__version__)' 2>/dev/null | tail -n 1) ($venv)" >&2
  command -v g++ >/dev/null || echo "run.sh: warning: no g++: Brian2 cpp_standalone will not compile" >&2
}

# sPyNNaker (SPYNNAKER_SPEC, default sPyNNaker==1!7.4.1: the epoch "1!" is part
# of its PyPI version) in its own venv with the machine's python3 (3.11 here;
# sPyNNaker 7.4.1 wants Python >= 3.8; SPYNNAKER_PYTHON chooses). pip resolves
# PyNN 0.13 and the SpiNNaker packages of the same version. No cfg file is
# installed: the scripts of bench/spinnaker write spynnaker.cfg (virtual board,
# version 5) into each run directory (see spynnaker_common.py).
setup_spynnaker_venv() {
  local venv="${SPYNNAKER_VENV:-$ROOT/bench/.venv-spynnaker}"
  local spec="${SPYNNAKER_SPEC:-sPyNNaker==1!7.4.1}"
  if [ ! -x "$venv/bin/python" ]; then
    local py="${SPYNNAKER_PYTHON:-python3}"
    echo "== creating $venv with $py ($("$py" --version 2>&1))" >&2
    "$py" -m venv "$venv" || bench_fail "cannot create a venv at $venv"
  fi
  [ -f "$venv/.gitignore" ] || echo '*' > "$venv/.gitignore"
  if ! "$venv/bin/python" -c 'import pyNN.spiNNaker' >/dev/null 2>&1; then
    echo "== installing $spec into $venv (a few minutes)" >&2
    "$venv/bin/pip" install --quiet "$spec" || bench_fail "pip could not install $spec"
  fi
  SPYNNAKER_PY="$venv/bin/python"
  "$SPYNNAKER_PY" -c 'import pyNN.spiNNaker' || bench_fail "pyNN.spiNNaker does not import in $venv (error above)"
  echo "== sPyNNaker $("$SPYNNAKER_PY" -c 'from importlib.metadata import version as v; print(v("sPyNNaker"), "with PyNN", v("PyNN"))' 2>/dev/null | tail -n 1) ($venv)" >&2
}

build_spikec() {
  if [ -z "${SPIKEC:-}" ]; then
    echo "== cargo build --release -p spikec" >&2
    (cd "$ROOT" && cargo build --release -p spikec --quiet) || bench_fail "cargo build failed"
    SPIKEC="$ROOT/target/release/spikec"
  fi
  [ -x "$SPIKEC" ] || bench_fail "no spikec binary at $SPIKEC"
  echo "== spikec: $SPIKEC" >&2
}

[ -x /usr/bin/time ] || bench_fail "/usr/bin/time (GNU time) is needed: apt-get install time"

# Sourced by bench/cuba/run.sh and bench/microcircuit/run.sh (bash).
# Defines: bench_fail, setup_nest_venv, setup_brian2_venv, build_spikec.
# Uses: ROOT (repository root). Sets: NEST_PY, BRIAN2_PY, SPIKEC.
#
# Two venvs, both kept out of git:
#   bench/.venv         NEST (shared with bench/nest_crosscheck; reused, never deleted)
#   bench/.venv-brian2  Brian2 (own venv: Brian2 2.9, the newest for Python 3.11,
#                       does not import with numpy 2.4 that bench/.venv has;
#                       Brian2 >= 2.10 needs Python >= 3.12, so a 3.13/3.12
#                       interpreter is preferred). venv writes a .gitignore
#                       with '*' into it; we make sure of that for older Pythons.

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

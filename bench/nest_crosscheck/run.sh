#!/usr/bin/env bash
# NEST spike-for-spike cross-check of spikec's simulator (not run in CI).
#
#   bench/nest_crosscheck/run.sh            # everything
#   ONLY=exp_base,delta bench/nest_crosscheck/run.sh
#
# Environment: VENV (default bench/.venv), SPIKEC (a spikec binary to use
# instead of building the work tree), WORK (default
# bench/nest_crosscheck/work), NEST_SPEC (default nest-simulator==3.10.*),
# SPIKEC_ARGS (extra arguments of `spikec sim`, e.g. "--engine interp"),
# ONLY (comma-separated network names), DURATION_SCALE (multiplies every
# duration, e.g. 20 for a long soak).
# Exit status: 0 all networks identical, 1 a mismatch, 2 set-up failed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
VENV="${VENV:-$root/bench/.venv}"
WORK="${WORK:-$here/work}"
NEST_SPEC="${NEST_SPEC:-nest-simulator==3.10.*}"
PY="${PYTHON:-python3}"

fail() { echo "run.sh: $*" >&2; exit 2; }

# 1. Python venv with NEST and numpy (kept out of git by bench/.gitignore).
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV" || fail "cannot create a venv at $VENV"
fi
if ! "$VENV/bin/python" -c 'import nest, numpy' >/dev/null 2>&1; then
  echo "== installing $NEST_SPEC and numpy into $VENV" >&2
  "$VENV/bin/pip" install --quiet --upgrade pip >/dev/null 2>&1 || true
  if ! "$VENV/bin/pip" install --quiet "$NEST_SPEC" numpy; then
    echo "run.sh: '$NEST_SPEC' did not install; trying nest-simulator==3.*" >&2
    "$VENV/bin/pip" install --quiet "nest-simulator==3.*" numpy ||
      fail "pip could not install nest-simulator 3.x"
  fi
fi
nest_version="$("$VENV/bin/python" -c 'import nest; print(nest.__version__)' 2>/dev/null | tail -n 1)"
echo "== NEST $nest_version ($VENV)" >&2
case "$nest_version" in
  3.10*) ;;
  3.*) echo "run.sh: note: NEST $nest_version, not 3.10" >&2 ;;
  *) fail "NEST 3.x expected, found '$nest_version'" ;;
esac

# 2. spikec, release build (or a given binary: SPIKEC=/path/to/spikec).
if [ -z "${SPIKEC:-}" ]; then
  echo "== cargo build --release -p spikec" >&2
  (cd "$root" && cargo build --release -p spikec --quiet) || fail "cargo build failed"
  SPIKEC="$root/target/release/spikec"
fi
[ -x "$SPIKEC" ] || fail "no spikec binary at $SPIKEC"
echo "== spikec: $SPIKEC" >&2

# 3. The networks (deterministic: fixed seeds).
rm -rf "$WORK"
mkdir -p "$WORK"
"$VENV/bin/python" "$here/make_networks.py" "$WORK" ${ONLY:+--only "$ONLY"} \
  ${DURATION_SCALE:+--duration-scale "$DURATION_SCALE"} >/dev/null

# 4. Run both, compare, print the table (also written to WORK/results.md).
extra=()
for a in ${SPIKEC_ARGS:-}; do extra+=("--spikec-arg=$a"); done
exec "$VENV/bin/python" "$here/crosscheck.py" "$WORK" --spikec "$SPIKEC" \
  --nest-python "$VENV/bin/python" --markdown "$WORK/results.md" "${extra[@]}"

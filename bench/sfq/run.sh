#!/usr/bin/env bash
# Time `spikec build --target sfq` on bench/sfq/big.snn at a few sizes (not
# run in CI): wall time and peak memory from /usr/bin/time.
#   bench/sfq/run.sh            # n = 400, 2000
#   SIZES="400 2000 8000" bench/sfq/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
SIZES="${SIZES:-400 2000}"
(cd "$root" && cargo build --release -q -p spikec)
out="$(mktemp -d)"
for n in $SIZES; do
  echo "== n = $n"
  /usr/bin/time -f "wall %e s, peak %M KiB" "$root/target/release/spikec" build "$here/big.snn" \
    --target sfq --set "n=$n" --chip jj=20000,pins=2000 -o "$out/n$n" 2>&1 \
    | grep -E "SFQ design|chips of|wall"
done
rm -rf "$out"

"""Shared helpers of the benchmark drivers in bench/ (standard library only).

Every measured command runs under GNU time (`/usr/bin/time -v -o FILE`), which
gives its wall-clock time and its maximum resident set size. Note that GNU
time reports the largest RSS of the process *or of any one of its waited-for
children* (getrusage(RUSAGE_CHILDREN) semantics), not the sum.
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

GNU_TIME = "/usr/bin/time"
MARK = "BENCH_JSON "


def check_gnu_time():
    if not os.access(GNU_TIME, os.X_OK):
        sys.exit(f"{GNU_TIME} (GNU time) is needed: apt-get install time")


def parse_gnu_time(text):
    """Wall seconds and max RSS (KiB) from `/usr/bin/time -v` output."""
    wall = rss = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("Elapsed (wall clock) time"):
            val = line.rsplit(": ", 1)[1]
            parts = [float(p) for p in val.split(":")]
            wall = 0.0
            for p in parts:
                wall = wall * 60 + p
        elif line.startswith("Maximum resident set size"):
            rss = int(line.rsplit(": ", 1)[1])
    return wall, rss


def run_timed(cmd, log=None, env=None, cwd=None):
    """Run cmd under GNU time. Returns dict(stdout, stderr, wall_s, maxrss_kib,
    wall_py_s). Raises RuntimeError on a non-zero exit (with the output)."""
    fd, tfile = tempfile.mkstemp(prefix="gnutime-", suffix=".txt")
    os.close(fd)
    t0 = time.perf_counter()
    p = subprocess.run([GNU_TIME, "-v", "-o", tfile] + list(cmd), capture_output=True,
                       text=True, env=env, cwd=cwd)
    wall_py = time.perf_counter() - t0
    with open(tfile) as f:
        ttext = f.read()
    os.unlink(tfile)
    if log:
        with open(log, "a") as f:
            f.write("$ " + " ".join(cmd) + "\n" + p.stdout + p.stderr + ttext + "\n")
    if p.returncode != 0:
        raise RuntimeError(f"command failed ({p.returncode}): {' '.join(cmd)}\n"
                           f"--- stdout\n{p.stdout[-4000:]}\n--- stderr\n{p.stderr[-4000:]}")
    wall, rss = parse_gnu_time(ttext)
    return {"stdout": p.stdout, "stderr": p.stderr, "wall_s": wall if wall is not None else wall_py,
            "maxrss_kib": rss, "wall_py_s": wall_py}


def bench_json(stdout):
    """The last `BENCH_JSON {...}` line a peer script printed."""
    found = None
    for line in stdout.splitlines():
        if line.startswith(MARK):
            found = json.loads(line[len(MARK):])
    if found is None:
        raise RuntimeError("no BENCH_JSON line in the output:\n" + stdout[-4000:])
    return found


SPIKEC_RATE = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+([0-9.]+)\s+(\S+)\s*$")
SPIKEC_TIME = re.compile(r"simulated\s+([0-9.]+)\s*ms .* in ([0-9.]+) s")
SPIKEC_PHASES = re.compile(r"expansion ([0-9.]+) s, set-up ([0-9.]+) s, steps ([0-9.]+) s")


def parse_spikec_phases(stdout):
    """`spikec sim`'s (expansion, set-up, steps) seconds, or None."""
    m = SPIKEC_PHASES.search(stdout)
    return tuple(float(x) for x in m.groups()) if m else None


def parse_spikec(stdout):
    """Per-population (recorded, spikes, rate) and the reported time of `spikec sim`."""
    pops = {}
    sim_s = None
    for line in stdout.splitlines():
        m = SPIKEC_RATE.match(line)
        if m:
            pops[m.group(1)] = {"n": int(m.group(2)), "spikes": int(m.group(3)),
                                "rate_hz": float(m.group(4))}
        m = SPIKEC_TIME.search(line)
        if m:
            sim_s = float(m.group(2))
    if sim_s is None:
        raise RuntimeError("no 'simulated ... in X s' line in spikec's output:\n" + stdout)
    return pops, sim_s


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, unit="", digits=3):
    if x is None:
        return "-"
    return f"{x:.{digits}f}{unit}"


def fmt_mib(kib):
    return "-" if kib is None else f"{kib / 1024:.0f} MiB"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def table(header, rows):
    """A Markdown table (also readable as plain text)."""
    cols = [header] + rows
    widths = [max(len(str(r[i])) for r in cols) for i in range(len(header))]
    out = ["| " + " | ".join(str(h).ljust(w) for h, w in zip(header, widths)) + " |",
           "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    return "\n".join(out)


def import_baseline_kib(python, module, log=None):
    """Max RSS of a Python process that only imports `module` (the fixed cost
    of the interpreter and the library, to read the peers' RSS against)."""
    try:
        return run_timed([python, "-c", f"import {module}"], log=log)["maxrss_kib"]
    except RuntimeError:
        return None


def machine_note():
    try:
        load = os.getloadavg()
        load_s = f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    except OSError:
        load_s = "load average unknown"
    return f"{os.cpu_count()} logical CPUs, {load_s} at start"

"""Shared parts of the sPyNNaker drivers of bench/spinnaker (run with the
python of bench/.venv-spynnaker; sPyNNaker 1!7.4.1, PyNN 0.13).

What they do: write a `spynnaker.cfg` (virtual board) into a run directory,
make it the current directory (see prepare_run_dir for how sPyNNaker 7.x
finds its cfg files; nothing is written to ~), then the caller builds
the network and calls `sim.run(duration)`. On a virtual board sPyNNaker 7.x
never generates synapses on the machine (`SynapseInformation.
may_generate_on_machine` returns False when `[Machine] virtual_board` is
set), so `run` maps the network (partitioning, placement, routing, keys,
routing tables) and generates every synaptic matrix on the host, writing
the data specifications to its `ds.sqlite3`; loading and running are skipped.

`report(...)` prints one line `BENCH_JSON {...}` (read by bench/spinnaker/bench.py)
with the phase times, the peak RSS of this process (getrusage), the number
of synapses generated and the bytes of data sPyNNaker would load onto the
board, plus a breakdown by sPyNNaker's own algorithm timers
(global_provenance.sqlite3, `full_timer_view`).
"""

import glob
import json
import os
import resource
import sqlite3
import sys
import time

T0 = time.perf_counter()

CFG = """\
# Written by bench/spinnaker (spynnaker_common.py): a virtual SpiNNaker board.
[Machine]
virtual_board = True
version = {version}
{extra}
[Reports]
# reports stay in this directory (reports/<timestamp>/)
default_report_file_path = DEFAULT
# keep the data-specification database (written in any case, deleted at the
# end in Production mode) to measure the data generated for the board
keep_dataspec_database = True
"""


def _user_cfgs():
    """The user cfg files sPyNNaker 7.x would find (spinn_utilities.
    config_holder._user_cfg: appdirs' site and user config dirs, then ~)."""
    xdg_dirs = os.environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep)[0]
    xdg_home = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return [p for p in (os.path.join(xdg_dirs, ".spynnaker.cfg"), os.path.join(xdg_home, ".spynnaker.cfg"),
                        os.path.expanduser("~/.spynnaker.cfg")) if os.path.isfile(p)]


def prepare_run_dir(run_dir, version=5, width=None, height=None):
    """Create run_dir with a spynnaker.cfg and chdir into it (before pyNN is imported).

    sPyNNaker 7.x reads the defaults, then ONE user cfg (`.spynnaker.cfg` in
    appdirs' site config dir, user config dir or home; two of them are an
    error), then `./spynnaker.cfg`, which overrides. Without any user cfg it
    writes a template ~/.spynnaker.cfg and stops with NoConfigFoundException,
    even when ./spynnaker.cfg exists. So, unless the user has one (then the
    local file overrides it), the same cfg is also written as
    run_dir/.spynnaker.cfg and XDG_CONFIG_HOME points at run_dir
    (appdirs.user_config_dir() follows it): nothing is written to ~.
    """
    os.makedirs(run_dir, exist_ok=True)
    extra = ""
    if width and height:
        extra = f"width = {width}\nheight = {height}\n"
    text = CFG.format(version=version, extra=extra)
    with open(os.path.join(run_dir, "spynnaker.cfg"), "w") as f:
        f.write(text)
    if not _user_cfgs():
        with open(os.path.join(run_dir, ".spynnaker.cfg"), "w") as f:
            f.write(text)
        os.environ["XDG_CONFIG_HOME"] = run_dir
    os.chdir(run_dir)


def maxrss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def count_synapses(projections):
    """Synapses sPyNNaker generated (on a virtual board every projection
    keeps its connections in a private list, filled during run)."""
    total = 0
    for p in projections:
        lst = getattr(p, "_Projection__virtual_connection_list", None)
        if lst is None:
            return None
        total += sum(len(a) for a in lst)
    return total


def _newest(pattern):
    files = glob.glob(pattern, recursive=True)
    return max(files, key=os.path.getmtime) if files else None


def provenance_timers(run_dir):
    """(category seconds, [(algorithm, work, seconds)]) from the newest
    global_provenance.sqlite3 under run_dir (sPyNNaker's FecTimer)."""
    db = _newest(os.path.join(run_dir, "reports", "**", "global_provenance.sqlite3"))
    if not db:
        return None, None
    con = sqlite3.connect(db)
    try:
        cats = {}
        for cat, ms in con.execute(
                "SELECT category, SUM(time_taken) FROM category_timer_view GROUP BY category"):
            if ms is not None:
                cats[cat] = ms / 1000.0
        algs = [(a, w, ms / 1000.0) for a, w, ms in con.execute(
            "SELECT algorithm, work, time_taken FROM full_timer_view "
            "WHERE skip_reason IS NULL ORDER BY timer_id")]
    except sqlite3.Error as e:
        print(f"warning: could not read {db}: {e}", file=sys.stderr)
        return None, None
    finally:
        con.close()
    return cats, algs


def dataspec_bytes(run_dir):
    """(all region bytes, synaptic-matrix bytes) that sPyNNaker generated for
    loading: sums of LENGTH(content) in the newest data-specification
    database (ds*.sqlite3, kept by keep_dataspec_database = True); the
    synaptic matrices are the regions labelled 'SynBlocks'
    (spynnaker/pyNN/models/neuron/synaptic_matrices.py). (None, None) if not found."""
    db = _newest(os.path.join(run_dir, "reports", "**", "ds*.sqlite3"))
    if not db:
        return None, None
    con = sqlite3.connect(db)
    try:
        (total,) = con.execute("SELECT SUM(LENGTH(content)) FROM region").fetchone()
        (syn,) = con.execute(
            "SELECT SUM(LENGTH(content)) FROM region WHERE region_label = 'SynBlocks'").fetchone()
        return total, syn
    except sqlite3.Error as e:
        print(f"warning: could not read {db}: {e}", file=sys.stderr)
        return None, None
    finally:
        con.close()


def report(tool_info, phases, projections, run_dir, extra=None):
    cats, algs = provenance_timers(run_dir)
    ds_total, ds_syn = dataspec_bytes(run_dir)
    out = {
        "tool": "spynnaker",
        **tool_info,
        **phases,
        "script_s": time.perf_counter() - T0,
        "maxrss_kib": maxrss_kib(),
        "synapses": count_synapses(projections),
        "dataspec_bytes": ds_total,
        "synaptic_matrix_bytes": ds_syn,
        "timer_categories_s": cats,
        "timers_s": algs,
    }
    if extra:
        out.update(extra)
    print("BENCH_JSON " + json.dumps(out))


def versions():
    try:
        from importlib.metadata import version
        return {"spynnaker_version": version("sPyNNaker"), "pynn_version": version("PyNN")}
    except Exception:  # pragma: no cover
        return {}

#!/usr/bin/env python3
"""Generate dsl-examples/motion_delays.snn: a layer of motion-direction
detectors built from heterogeneous synaptic delays, after Grimaldi &
Perrinet (2023), with its connection table and a moving-bar event stream.

Usage (from anywhere; python3, standard library only):

    python3 dsl-examples/gen/motion_delays.py [--out FILE] [--tuning]

Writes, beside --out (default <repo>/dsl-examples/motion_delays.snn):
  motion_delays.snn            the network
  motion_delays_synapses.csv   pre,post,delay[ms]: 6,400 connections
  motion_delays_events.csv     neuron,time[ms]: the default stimulus
--tuning writes nothing and prints instead, per bar, the peak membrane
potential of every channel (the model below without threshold), i.e. the
margin the threshold sits in.

Source: Grimaldi A, Perrinet LU (2023) Learning heterogeneous delays in a
layer of spiking neurons for fast motion detection. Biological
Cybernetics. Their HD-SNN is a convolutional layer over an event stream
whose kernels have a weight and a delay per (polarity, dx, dy); learned on
moving textures, the kernels become oriented in space-time, each channel
selective to one direction and speed. Here the delays are not learned: each
is set to the value that makes a straight edge moving in the channel's
direction at the channel's speed arrive at once (coincidence detection), the
kernel such learning aims at. Assumptions (all of them are choices of this
example, not of the paper):

  * Input ("retina"): an 8 x 8 grid of pixels with ON events only, one
    SpikeSourceArray neuron per pixel: pixel (x, y) is neuron 8 y + x, x to
    the right, y upwards, both 0..7; its centre is at (x, y).
  * Directions: 8, direction k points at k * 45 degrees counterclockwise
    from +x (0 = rightwards, 2 = upwards, 4 = leftwards, 6 = downwards);
    unit vector u_k. Speeds: 2, speed 0 = FAST = 1 pixel/ms, speed 1 =
    SLOW = 0.5 pixel/ms. Channel c = 2 k + speed: 16 channels.
  * Detectors: one per channel at each of the 16 positions where a 5 x 5
    patch fits in the grid (patch centre (qx, qy), 2 <= qx, qy <= 5, no
    padding): 256 IF_curr_delta neurons, neuron 16 c + 4 (qy - 2) + (qx - 2).
    Each gets one synapse from every pixel of its patch (25 synapses),
    weight w = 1/16 mV (delta synapse: a voltage jump; why so small: see
    SpiNNaker below).
  * Delays: a pixel at offset o = (dx, dy) from the patch centre sees the
    edge at time t0 + (o . u_k) / v; its delay is
        d = h + (S_k - o . u_k) / v
    rounded to the timestep h = 0.1 ms, with S_k = 2 (|u_kx| + |u_ky|) the
    largest o . u_k in the patch.
    So the pixel the edge reaches last has the shortest delay (one step)
    and all 25 events of the preferred edge arrive within a step or two of
    each other. The longest delays: 41 steps (fast, horizontal or
    vertical), 58 (fast, diagonal), 81 (slow, horizontal or vertical) and
    114 steps = 11.4 ms (slow, diagonal).
  * Neuron: IF_curr_delta, tau_m = 1 ms, v_rest = v_reset = -65 mV,
    v_thresh = -64 mV (16 coincident events of 1/16 mV), tau_refrac = 2 ms
    (a neuron fires at most once per edge). With tau_m = 1 ms only events
    within about a millisecond add up: the preferred edge lifts a detector
    by at least 23.1 events' worth, every other direction or speed (the
    opposite direction, 45 degrees off, the same direction at the other
    speed) by at most 8.0 (--tuning prints this), so the threshold of 16
    sits in the middle of the gap. No lateral inhibition is needed.
  * Stimulus: an edge ("thin bar") is a straight line across the whole
    grid, perpendicular to its direction of motion, that makes each pixel
    emit one ON event as it crosses the pixel's centre. Bar c (c = 0..15)
    moves in channel c's direction at channel c's speed and crosses the
    grid centre (3.5, 3.5) at t_c = 20 + 40 c ms; pixel p emits at
    t_c + ((p - (3.5, 3.5)) . u) / v, rounded to the 0.1 ms step. A bar's
    events span at most +-9.9 ms around t_c and reach the detectors by
    t_c + 21.4 ms (the longest delay later), so bars do not overlap; all
    of it ends by 650 ms. Channel c's 16 detectors should fire once each
    during bar c and no other detector fire at all.

SpiNNaker: the 256 detectors fill one core (8 bits of neuron index) with one
synapse type, which leaves 6 bits of the 14-bit ring-buffer index for delay
slots: D = 64 steps. Delays of 65..114 steps go through a delay-extension
core (stage 1: 64 steps), the rest straight into the ring buffer.
The weights are small because a detector exists to receive a synchronous
volley: the backend sizes a 16-bit ring-buffer slot, as sPyNNaker does, for
the expected input (here about 25 Hz per pixel over 25 synapses, mean + 5
sigma), and at the finest scale a slot holds 2 mV. 25 events of 1/16 mV
(1.5625 mV) fit in one slot; 25 of 1 mV would saturate it at 2 mV on the
chip and no detector would ever fire (`spikec verify` warns about such
adds).

tests/integration/motion.rs generates the same kind of bars (in another
order, at other sub-step phases, and with jittered and lost events),
asserts the direction and speed selectivity on the simulator, checks that
removing or scrambling the delays loses it, and that the SpiNNaker build
uses a delay-extension core and matches the simulator.

The output is deterministic; rerun after changing this script and commit
the three files.
"""

import argparse
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "motion_delays.snn"))

GRID = 8                  # pixels per side
RADIUS = 2                # patch half-width: 5 x 5 patches
H_STEPS_PER_MS = 10       # timestep 0.1 ms, as steps per ms
SPEEDS = [1.0, 0.5]       # pixel/ms: FAST, SLOW
# Direction k: k * 45 degrees counterclockwise from +x (y upwards).
DIRECTIONS = [(1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)]
DIRECTION_NAMES = ["right", "up-right", "up", "up-left", "left", "down-left", "down", "down-right"]
SPEED_NAMES = ["fast", "slow"]
BAR_FIRST_MS = 20         # bar 0 crosses the grid centre here
BAR_PERIOD_MS = 40        # and bar k at BAR_FIRST_MS + k BAR_PERIOD_MS
DURATION_MS = 650         # the stimulus and the detectors' answers end before
TAU_M_MS = 1.0            # membrane time constant (for --tuning)
THRESHOLD_EVENTS = 16     # (v_thresh - v_rest) / w (for --tuning)


def unit(k):
    """Unit vector of direction k."""
    dx, dy = DIRECTIONS[k]
    n = math.hypot(dx, dy)
    return dx / n, dy / n


def channels():
    """(channel, direction, speed index) in neuron order."""
    return [(2 * k + s, k, s) for k in range(len(DIRECTIONS)) for s in range(len(SPEEDS))]


def centres():
    """Patch centres (qx, qy) in neuron order within a channel."""
    lo, hi = RADIUS, GRID - 1 - RADIUS
    return [(qx, qy) for qy in range(lo, hi + 1) for qx in range(lo, hi + 1)]


def synapses():
    """(pre pixel, post neuron, delay in steps) for every detector."""
    out = []
    cs = centres()
    for c, k, s in channels():
        ux, uy = unit(k)
        v = SPEEDS[s]
        reach = RADIUS * (abs(ux) + abs(uy))
        for i, (qx, qy) in enumerate(cs):
            post = len(cs) * c + i
            for dy in range(-RADIUS, RADIUS + 1):
                for dx in range(-RADIUS, RADIUS + 1):
                    pre = (qy + dy) * GRID + qx + dx
                    late = (reach - (dx * ux + dy * uy)) / v  # ms
                    out.append((pre, post, 1 + round(late * H_STEPS_PER_MS)))
    return out


def bar_events(k, s, centre_ms):
    """(pixel, step) of a bar moving in direction k at speed s that crosses
    the grid centre at centre_ms; the event at time step / 10 ms."""
    ux, uy = unit(k)
    mid = (GRID - 1) / 2
    out = []
    for y in range(GRID):
        for x in range(GRID):
            t = centre_ms + ((x - mid) * ux + (y - mid) * uy) / SPEEDS[s]
            out.append((y * GRID + x, round(t * H_STEPS_PER_MS)))
    return out


def stimulus():
    """(pixel, step) of the default stimulus: bar c has channel c's
    direction and speed."""
    out = []
    for c, k, s in channels():
        out.extend(bar_events(k, s, BAR_FIRST_MS + BAR_PERIOD_MS * c))
    out.sort(key=lambda e: (e[1], e[0]))
    return out


def ms(steps):
    """Steps as an exact decimal of ms (0.1 ms steps)."""
    return "%d.%d" % divmod(steps, H_STEPS_PER_MS)


def tuning(syn):
    """Per bar, the peak potential above rest of each channel, in events'
    worth (units of w), without threshold; as the simulator steps: a
    source spike at step t is sent in step t - 1 and added d steps
    later."""
    decay = math.exp(-1.0 / (TAU_M_MS * H_STEPS_PER_MS))
    rows = {}
    for pre, post, d in syn:
        rows.setdefault(pre, []).append((post, d))
    per = len(centres())
    lo_pref, hi_other = float("inf"), 0.0
    for c, k, s in channels():
        arrivals = {}
        for pixel, step in bar_events(k, s, 20):
            for post, d in rows[pixel]:
                a = arrivals.setdefault(post, {})
                a[step - 1 + d] = a.get(step - 1 + d, 0) + 1
        peaks = [0.0] * len(channels())
        for post, a in arrivals.items():
            v, peak = 0.0, 0.0
            for t in range(min(a), max(a) + 1):
                v = v * decay + a.get(t, 0)
                peak = max(peak, v)
            peaks[post // per] = max(peaks[post // per], peak)
            if post // per == c:
                lo_pref = min(lo_pref, peak)
        hi_other = max(hi_other, max(p for i, p in enumerate(peaks) if i != c))
        print("bar %-10s %s: %s" % (DIRECTION_NAMES[k], SPEED_NAMES[s], " ".join("%4.1f" % p for p in peaks)))
    print("preferred detectors peak at >= %.2f w, others at <= %.2f w; threshold %d w"
          % (lo_pref, hi_other, THRESHOLD_EVENTS))


SNN = """\
# Motion-direction detection with heterogeneous synaptic delays, after
# Grimaldi & Perrinet (2023), "Learning heterogeneous delays in a layer of
# spiking neurons for fast motion detection" (Biological Cybernetics):
#   spikec sim dsl-examples/motion_delays.snn --duration {duration}ms --plot motion.svg
#   spikec build dsl-examples/motion_delays.snn --target spinnaker -o build-motion/
#   spikec verify dsl-examples/motion_delays.snn --target spinnaker --duration {duration}ms
#
# GENERATED by dsl-examples/gen/motion_delays.py; edit that script, not this
# file (its docstring states every assumption). In short: an 8 x 8 event-
# camera-like grid (ON events) feeds 16 channels (8 directions x 2 speeds) of
# coincidence detectors, one per channel at each of 16 positions; each
# detector reads a 5 x 5 patch through delays that make an edge moving in its
# direction at its speed arrive at once. The delays are set to that optimum,
# not learned as in the paper, and span 1 to {max_delay} steps of 0.1 ms: on
# SpiNNaker (ring buffer of {slots} slots for this population) the long ones go
# through a delay-extension core. The weights are small (1/16 mV, threshold
# 1 mV) so that a detector's synchronous volley fits one 16-bit ring-buffer
# slot on SpiNNaker (2 mV at the finest scale).
#
# Neuron 16 c + 4 (y - 2) + (x - 2) of Motion is channel c's detector at the
# patch centred on pixel (x, y), 2 <= x, y <= 5; channel c = 2 k + s prefers
# direction k (k * 45 degrees counterclockwise from +x: 0 right, 2 up, 4 left,
# 6 down) at speed s (0: 1 pixel/ms, 1: 0.5 pixel/ms).
#
# Stimulus (motion_delays_events.csv): 16 thin bars, one ON event per pixel
# as the bar's edge crosses the pixel's centre; bar c moves in channel c's
# direction at channel c's speed and crosses the grid centre at 20 + 40 c ms.
# Expected: during bar c, exactly channel c's 16 detectors fire, once each.

network motion_delays {{
  timestep 0.1 ms
  param w = 0.0625 mV  # every synapse; 16 coincident events reach threshold
  param tau = 1 ms     # membrane time constant: only near-coincident events add up

  # pixel (x, y) is neuron 8 y + x, x to the right and y upwards, 0..7
  source Retina = SpikeSourceArray[64] {{ spike_times = csv("motion_delays_events.csv") }}
  population Motion = IF_curr_delta[256] {{
    tau_m = tau, tau_refrac = 2 ms, v_rest = -65 mV, v_reset = -65 mV, v_thresh = -64 mV
  }}

  # 25 synapses per detector, delays compensating its preferred motion
  connect Retina -> Motion : from_file("motion_delays_synapses.csv") {{ port excitatory, weight w }}

  record Motion.spikes
}}
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output .snn file")
    ap.add_argument("--tuning", action="store_true", help="print the peak potentials per bar and channel")
    args = ap.parse_args()
    syn = synapses()
    if args.tuning:
        tuning(syn)
        return
    out_dir = os.path.dirname(os.path.abspath(args.out))
    max_delay = max(d for _, _, d in syn)
    # The ring buffer's delay slots on SpiNNaker (backends/spinnaker,
    # graph.rs): 14 bits less 8 for 256 neurons and 0 for one synapse type.
    slots = 1 << min(max_delay.bit_length(), 14 - 8)

    with open(os.path.join(out_dir, "motion_delays_synapses.csv"), "w") as f:
        f.write("# GENERATED by dsl-examples/gen/motion_delays.py: pixel -> detector\n")
        f.write("# connections of dsl-examples/motion_delays.snn, 25 per detector,\n")
        f.write("# with the delays that compensate its preferred motion.\n")
        f.write("pre,post,delay[ms]\n")
        for pre, post, d in syn:
            f.write("%d,%d,%s\n" % (pre, post, ms(d)))
    with open(os.path.join(out_dir, "motion_delays_events.csv"), "w") as f:
        f.write("# GENERATED by dsl-examples/gen/motion_delays.py: ON events of 16\n")
        f.write("# moving bars on the 8 x 8 grid of dsl-examples/motion_delays.snn;\n")
        f.write("# bar c crosses the grid centre at 20 + 40 c ms.\n")
        f.write("neuron,time[ms]\n")
        for pixel, step in stimulus():
            f.write("%d,%s\n" % (pixel, ms(step)))
    with open(args.out, "w") as f:
        f.write(SNN.format(duration=DURATION_MS, max_delay=max_delay, slots=slots))


if __name__ == "__main__":
    main()

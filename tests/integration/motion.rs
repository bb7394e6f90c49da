//! `dsl-examples/motion_delays.snn`: motion-direction detectors made of
//! heterogeneous synaptic delays (after Grimaldi & Perrinet 2023). The test
//! generates its own moving bars (clean, and with jittered and lost
//! events), runs the shipped network on them and asserts direction (and
//! speed) selectivity; the same network with its delays removed or
//! scrambled must lose it; and the SpiNNaker build needs a delay-extension
//! core and matches the s16.15 simulation spike for spike.
//!
//! Geometry, as `dsl-examples/gen/motion_delays.py` documents it: pixel
//! (x, y) of the 8 x 8 grid is source neuron 8 y + x (x to the right, y
//! upwards); channel c = 2 k + s prefers direction k (k * 45 degrees
//! counterclockwise from +x) at speed s (1 and 0.5 pixel/ms); Motion neurons
//! 16 c .. 16 c + 16 are channel c's detectors at 16 positions.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::support::{compile_ok, root};
use spikec::build_spinnaker::{build, verify, MachineSource, SpinnakerRequest};
use spikec::driver::simulate;
use spikec_ir::eval::Precision;
use spikec_sim::{Engine, Spike};

const GRID: usize = 8;
/// Direction k as an (unnormalised) vector: k * 45 degrees from +x.
const DIRECTIONS: [(f64, f64); 8] = [
    (1.0, 0.0),
    (1.0, 1.0),
    (0.0, 1.0),
    (-1.0, 1.0),
    (-1.0, 0.0),
    (-1.0, -1.0),
    (0.0, -1.0),
    (1.0, -1.0),
];
const DIRECTION_NAMES: [&str; 8] = [
    "right",
    "up-right",
    "up",
    "up-left",
    "left",
    "down-left",
    "down",
    "down-right",
];
/// Pixels per ms.
const SPEEDS: [f64; 2] = [1.0, 0.5];
const CHANNELS: usize = 16;
const PER_CHANNEL: u32 = 16;
/// The network's timestep (ms).
const H: f64 = 0.1;
/// Bar i crosses the grid centre at FIRST + i PERIOD ms. The offset of
/// 0.37 ms puts the crossings between steps, so the event times round
/// differently from the shipped stimulus.
const FIRST_MS: f64 = 20.37;
const PERIOD_MS: f64 = 40.0;
/// A bar's events start at most 9.9 ms before its crossing (slow,
/// diagonal) and reach the detectors by 21.4 ms after it (9.9 ms and the
/// longest delay, 11.4 ms).
const WINDOW_BEFORE_MS: f64 = 10.0;
const DURATION_MS: f64 = FIRST_MS + CHANNELS as f64 * PERIOD_MS;

/// xorshift64: a fixed stream for the noise and the scrambled control.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The channel presented as bar i: every channel once, in a scrambled order
/// (5 is coprime with 16), so no bar follows its neighbour channel.
fn channel_of_bar(i: usize) -> usize {
    (5 * i + 3) % CHANNELS
}

/// The ON events (pixel, time in ms) of one thin bar: a straight edge
/// across the whole grid, perpendicular to direction `k`, moving at
/// `SPEEDS[s]` and crossing the grid centre (3.5, 3.5) at `centre_ms`. Each
/// pixel emits one event as the edge crosses its centre, at the 0.1 ms step
/// nearest to that (an event camera's pixels report one ON event when their
/// brightness steps up).
fn bar(k: usize, s: usize, centre_ms: f64) -> Vec<(usize, f64)> {
    let (dx, dy) = DIRECTIONS[k];
    let n = dx.hypot(dy);
    let (ux, uy) = (dx / n, dy / n);
    let mid = (GRID - 1) as f64 / 2.0;
    let mut out = Vec::new();
    for y in 0..GRID {
        for x in 0..GRID {
            let along = (x as f64 - mid) * ux + (y as f64 - mid) * uy;
            let t = centre_ms + along / SPEEDS[s];
            out.push((y * GRID + x, (t / H).round() * H));
        }
    }
    out
}

/// The stimulus as per-pixel spike trains: one bar of every channel, bar i
/// showing channel `channel_of_bar(i)`.
fn stimulus() -> Vec<Vec<f64>> {
    noisy_stimulus(0.0, 0, 0)
}

/// The stimulus with sensor noise, from a fixed stream: each event moved
/// by a whole number of steps up to `jitter_ms` either way (uniformly), and
/// lost with probability `drop_percent` %.
fn noisy_stimulus(jitter_ms: f64, drop_percent: u64, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = XorShift(seed | 1);
    let jitter_steps = (jitter_ms / H).round() as u64;
    let mut trains = vec![Vec::new(); GRID * GRID];
    for i in 0..CHANNELS {
        let c = channel_of_bar(i);
        for (pixel, t) in bar(c / 2, c % 2, FIRST_MS + i as f64 * PERIOD_MS) {
            if rng.below(100) < drop_percent {
                continue;
            }
            let shift = rng.below(2 * jitter_steps + 1) as f64 - jitter_steps as f64;
            trains[pixel].push(((t / H).round() + shift) * H);
        }
    }
    for tr in &mut trains {
        tr.sort_by(f64::total_cmp);
    }
    trains
}

/// The trains as a spike-times list of the language.
fn spike_list(trains: &[Vec<f64>]) -> String {
    let mut s = String::from("[");
    for (i, tr) in trains.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('[');
        for (j, t) in tr.iter().enumerate() {
            if j > 0 {
                s.push_str(", ");
            }
            let _ = write!(s, "{t:.1} ms");
        }
        s.push(']');
    }
    s.push(']');
    s
}

fn example() -> PathBuf {
    root().join("dsl-examples/motion_delays.snn")
}

/// The shipped network with `stimulus` in place of its CSV of events and,
/// if given, another connection file (an absolute path).
fn network(stimulus: Option<&[Vec<f64>]>, synapses: Option<&Path>) -> spikec_ir::Network {
    let path = example();
    let mut src = std::fs::read_to_string(&path).expect("the example exists");
    if let Some(trains) = stimulus {
        let events = "csv(\"motion_delays_events.csv\")";
        assert!(
            src.contains(events),
            "the example reads its events from CSV"
        );
        src = src.replace(events, &spike_list(trains));
    }
    if let Some(file) = synapses {
        let conns = "from_file(\"motion_delays_synapses.csv\")";
        assert!(
            src.contains(conns),
            "the example reads its synapses from CSV"
        );
        src = src.replace(conns, &format!("from_file({:?})", file.to_string_lossy()));
    }
    // Relative file names resolve beside the example.
    compile_ok(&path.to_string_lossy(), &src, &[])
}

fn motion_index(net: &spikec_ir::Network) -> u32 {
    net.populations
        .iter()
        .position(|(_, p)| p.name == "Motion")
        .expect("a Motion population") as u32
}

/// Spikes per (bar, channel): the detector spikes in each bar's window.
fn responses(spikes: &[Spike], motion: u32) -> [[u32; CHANNELS]; CHANNELS] {
    let mut r = [[0u32; CHANNELS]; CHANNELS];
    for s in spikes.iter().filter(|s| s.population == motion) {
        let t = (s.step + 1) as f64 * H;
        let bar = ((t - FIRST_MS + WINDOW_BEFORE_MS) / PERIOD_MS).floor();
        assert!(
            (0.0..CHANNELS as f64).contains(&bar),
            "a spike at {t} ms outside every bar's window"
        );
        r[bar as usize][(s.neuron / PER_CHANNEL) as usize] += 1;
    }
    r
}

/// The channel preferring the opposite direction at the same speed.
fn opposite(c: usize) -> usize {
    (c + 8) % CHANNELS
}

/// The channel preferring the same direction at the other speed.
fn other_speed(c: usize) -> usize {
    c ^ 1
}

fn table(r: &[[u32; CHANNELS]; CHANNELS]) -> String {
    let mut s = String::from("bar (direction speed)   spikes per channel 0..15\n");
    for (i, row) in r.iter().enumerate() {
        let c = channel_of_bar(i);
        let name = format!("{} {}", DIRECTION_NAMES[c / 2], ["fast", "slow"][c % 2]);
        let cells: Vec<String> = row.iter().map(|n| format!("{n:2}")).collect();
        let _ = writeln!(s, "{i:2} ch {c:2} {name:<16} {}", cells.join(" "));
    }
    s
}

/// Runs `net` on the test's bars (f64, reference interpreter).
fn run(net: &spikec_ir::Network) -> [[u32; CHANNELS]; CHANNELS] {
    let (_, out) = simulate(net, DURATION_MS, Engine::Interp, Precision::F64)
        .unwrap_or_else(|d| panic!("{d:?}"));
    responses(&out.spikes, motion_index(net))
}

#[test]
fn motion_detectors_are_direction_and_speed_selective() {
    let r = run(&network(Some(&stimulus()), None));
    println!("clean bars\n{}", table(&r));
    assert_selective(&r, 16, 0.9);
    // Noisy bars: events jittered by up to 0.2 ms and 10 % of them lost.
    // The preferred volley is smaller and spread; most detectors still
    // fire, and the other channels still do not.
    let r = run(&network(Some(&noisy_stimulus(0.2, 10, 7)), None));
    println!("noisy bars\n{}", table(&r));
    assert_selective(&r, 12, 0.9);
}

/// Every bar fires at least `min_pref` of its channel's 16 detectors and at
/// most a tenth of that on the opposite direction (same speed) and on the
/// other speed (same direction); over all bars the direction selectivity
/// index is at least `min_dsi`, and at most 5 % of the spikes are on
/// channels other than the bar's.
fn assert_selective(r: &[[u32; CHANNELS]; CHANNELS], min_pref: u32, min_dsi: f64) {
    let (mut pref, mut opp, mut off) = (0u32, 0u32, 0u32);
    for (i, row) in r.iter().enumerate() {
        let c = channel_of_bar(i);
        let name = format!("bar {i} (channel {c}, {})", DIRECTION_NAMES[c / 2]);
        // The detectors of the bar's own channel fire (once at most: each
        // sees the edge once, and refractoriness outlasts the volley).
        assert!(
            row[c] >= min_pref,
            "{name}: only {} preferred spikes\n{}",
            row[c],
            table(r)
        );
        // The opposite direction stays silent, and so does the same
        // direction at the other speed.
        assert!(
            row[opposite(c)] * 10 <= row[c],
            "{name}: opposite direction {} vs {}\n{}",
            row[opposite(c)],
            row[c],
            table(r)
        );
        assert!(
            row[other_speed(c)] * 10 <= row[c],
            "{name}: other speed {} vs {}\n{}",
            row[other_speed(c)],
            row[c],
            table(r)
        );
        pref += row[c];
        opp += row[opposite(c)];
        off += row.iter().sum::<u32>() - row[c];
    }
    // Direction selectivity index (R_pref - R_opp) / (R_pref + R_opp) over
    // all bars, and the share of spikes on channels other than the bar's.
    let dsi = (pref as f64 - opp as f64) / (pref + opp) as f64;
    let off_share = off as f64 / (pref + off) as f64;
    println!(
        "preferred {pref}, opposite {opp}, any other channel {off}: DSI {dsi:.3}, off-channel share {off_share:.3}"
    );
    assert!(dsi >= min_dsi, "DSI {dsi}");
    assert!(off_share <= 0.05, "off-channel share {off_share}");
}

/// The shipped connection table as (pre, post, delay in ms).
fn shipped_synapses() -> Vec<(u32, u32, f64)> {
    let text = std::fs::read_to_string(root().join("dsl-examples/motion_delays_synapses.csv"))
        .expect("the example's synapses");
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    assert_eq!(lines.next(), Some("pre,post,delay[ms]"));
    lines
        .map(|l| {
            let v: Vec<&str> = l.split(',').collect();
            (
                v[0].parse().unwrap(),
                v[1].parse().unwrap(),
                v[2].parse().unwrap(),
            )
        })
        .collect()
}

fn write_synapses(name: &str, rows: &[(u32, u32, f64)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("motion");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    let mut s = String::from("pre,post,delay[ms]\n");
    for (pre, post, d) in rows {
        let _ = writeln!(s, "{pre},{post},{d:.1}");
    }
    std::fs::write(&file, s).unwrap();
    file
}

#[test]
fn motion_selectivity_needs_the_delays() {
    let rows = shipped_synapses();
    assert_eq!(rows.len(), 256 * 25);
    // Heterogeneous: 1 to well over 64 steps (the SpiNNaker ring buffer).
    let longest = rows.iter().map(|r| r.2).fold(0.0, f64::max);
    assert!(longest > 6.4 + 1e-9, "longest delay {longest} ms");
    // Control 1: every delay one step.
    let flat: Vec<_> = rows.iter().map(|&(a, b, _)| (a, b, H)).collect();
    // Control 2: each detector's 25 delays shuffled among its synapses
    // (the same delays, the geometry lost); xorshift64, Fisher-Yates.
    let mut scrambled = rows.clone();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for block in scrambled.chunks_mut(25) {
        assert!(
            block.iter().all(|r| r.1 == block[0].1),
            "25 rows a detector"
        );
        for i in (1..block.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            let d = block[i].2;
            block[i].2 = block[j].2;
            block[j].2 = d;
        }
    }
    let trains = stimulus();
    for (name, table_rows) in [("flat", flat), ("scrambled", scrambled)] {
        let file = write_synapses(&format!("{name}.csv"), &table_rows);
        let r = run(&network(Some(&trains), Some(&file)));
        let pref: u32 = (0..CHANNELS).map(|i| r[i][channel_of_bar(i)]).sum();
        println!("{name} delays: {pref} preferred spikes\n{}", table(&r));
        // With the delays, 256 (every detector once per its bar).
        assert!(
            pref <= 256 / 10,
            "{name} delays: still {pref} preferred spikes\n{}",
            table(&r)
        );
    }
}

#[test]
fn motion_builds_for_spinnaker_with_delay_extension_cores() {
    // The shipped stimulus (its CSV), as `spikec verify` runs it.
    let net = network(None, None);
    let req = SpinnakerRequest {
        machine: MachineSource::Preset("spinn5".into()),
        neurons_per_core: None,
        colour_bits: 0,
    };
    let a = build(&net, &req).unwrap_or_else(|d| panic!("{d:?}"));
    // 256 detectors on one core with one synapse type: 64 delay slots, so
    // the delays of 65..114 steps need a delay-extension core.
    assert!(a.report.delay_cores >= 1, "{}", a.report.to_text());
    assert!(a.files.iter().any(|(n, _)| n.ends_with("delay.bin")));
    let v = verify(&net, &req, 650.0).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(v.first_difference(), None);
    assert_eq!(v.emulated, v.simulated);
    // A detector's volley (25 events of 1/16 mV) fits a ring-buffer slot.
    assert_eq!(v.saturated, 0, "ring-buffer adds saturated on the chip");
    // In the emulator too, bar c (crossing the centre at 20 + 40 c ms)
    // fires exactly channel c's 16 detectors.
    let motion = motion_index(&net);
    let mut got = vec![(0u32, 0u32); CHANNELS];
    for s in v.emulated.iter().filter(|s| s.population == motion) {
        let t = (s.step + 1) as f64 * H;
        let bar = ((t - 10.0) / PERIOD_MS).floor() as usize;
        let c = (s.neuron / PER_CHANNEL) as usize;
        if bar == c {
            got[c].0 += 1;
        } else {
            got[c].1 += 1;
        }
    }
    assert!(
        got.iter().all(|&(on, off)| on == PER_CHANNEL && off == 0),
        "{got:?}"
    );
}

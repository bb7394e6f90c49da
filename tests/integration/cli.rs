//! The command line as users run it: exit codes, output streams, `--set`,
//! `--message-format json`, `explain`.

use crate::support::run;

#[test]
fn check_clean_example_exits_zero_silently() {
    let (code, out, err) = run(&["check", "dsl-examples/cuba.snn"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty() && err.is_empty(), "{out}{err}");
}

#[test]
fn check_invalid_exits_one_with_rendered_error() {
    let (code, _, err) = run(&["check", "tests/invalid/e0020_add_mv_ms.snn"]);
    assert_eq!(code, 1);
    assert!(err.contains("error[E0020]"), "{err}");
    assert!(err.contains("tests/invalid/e0020_add_mv_ms.snn:"), "{err}");
    assert!(err.contains("could not compile"), "{err}");
}

#[test]
fn usage_and_io_errors_exit_two() {
    assert_eq!(run(&["check", "no/such/file.snn"]).0, 2);
    assert_eq!(run(&["check"]).0, 2);
    assert_eq!(run(&["frobnicate"]).0, 2);
    assert_eq!(
        run(&["check", "dsl-examples/cuba.snn", "--set", "novalue"]).0,
        2
    );
    assert_eq!(run(&["explain", "E9999"]).0, 2);
}

#[test]
fn set_overrides_a_parameter_with_units_checked() {
    let (code, out, err) = run(&["ir", "dsl-examples/cuba.snn", "--set", "n=400"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("param n = 400  # overridden (--set, or a test case's set)"),
        "{out}"
    );
    assert!(out.contains("population E: cuba_lif[320]"), "{out}");
    let (code, _, err) = run(&["check", "dsl-examples/cuba.snn", "--set", "n=4 ms"]);
    assert_eq!(code, 1);
    assert!(err.contains("error[E0051]"), "{err}");
    let (code, _, err) = run(&["check", "dsl-examples/cuba.snn", "--set", "m=4"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("error[E0051]") && err.contains("did you mean `n`"),
        "{err}"
    );
}

#[test]
fn json_messages_are_one_object_per_line() {
    let (code, _, err) = run(&[
        "check",
        "--message-format",
        "json",
        "tests/invalid/e0020_add_mv_ms.snn",
    ]);
    assert_eq!(code, 1);
    let lines: Vec<serde_json::Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON"))
        .collect();
    assert!(!lines.is_empty());
    let first = &lines[0];
    assert_eq!(first["code"], "E0020");
    assert_eq!(first["severity"], "error");
    let label = &first["labels"][0];
    assert!(label["line_start"].as_u64().unwrap() >= 1);
    assert!(label["file"]
        .as_str()
        .unwrap()
        .ends_with("e0020_add_mv_ms.snn"));
}

#[test]
fn explain_prints_the_long_text() {
    let (code, out, _) = run(&["explain", "E0020"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("E0020: mismatched dimensions"), "{out}");
    assert!(out.contains("```"), "{out}");
    // Short forms are accepted, like rustc.
    assert_eq!(run(&["explain", "e20"]).1, out);
}

#[test]
fn help_shows_examples() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("spikec check dsl-examples/cuba.snn"), "{out}");
}

#[test]
fn stats_reports_expanded_synapses() {
    let (code, out, err) = run(&[
        "stats",
        "dsl-examples/brunel.snn",
        "--set",
        "order=50",
        "--threads",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");
    // Fixed in-degrees: CE = 0.1 * 200 = 20 per target, 250 targets.
    assert!(out.contains("E->All") && out.contains(" 5000 "), "{out}");
    assert!(out.contains("total: 500 neurons"), "{out}");
}

#[test]
fn sim_writes_sorted_spikes_and_a_summary() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sim_out");
    let _ = std::fs::remove_dir_all(&dir);
    let (code, out, err) = run(&[
        "sim",
        "dsl-examples/izhikevich.snn",
        "--duration",
        "50 ms",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("rate (Hz)") && out.contains("simulated 50 ms (50 steps of 1 ms)"),
        "{out}"
    );
    let csv = std::fs::read_to_string(dir.join("spikes.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("population,neuron,time_ms"));
    let rows: Vec<(f64, String, u32)> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[2].parse().unwrap(),
                f[0].to_string(),
                f[1].parse().unwrap(),
            )
        })
        .collect();
    assert!(!rows.is_empty());
    assert!(
        rows.windows(2).all(|w| w[0].0 <= w[1].0),
        "not sorted by time"
    );
    assert_eq!(
        run(&["sim", "dsl-examples/cuba.snn", "--duration", "5 mV"]).0,
        2
    );
    // The same spikes as NumPy arrays, one per population: rows of (neuron, time).
    for pop in ["E", "I"] {
        let npy = std::fs::read(dir.join(format!("spikes.{pop}.npy"))).unwrap();
        let n = rows.iter().filter(|r| r.1 == pop).count();
        let header = String::from_utf8_lossy(&npy[10..80]).into_owned();
        assert!(
            npy.starts_with(b"\x93NUMPY") && header.contains(&format!("'shape': ({n}, 2")),
            "{header}"
        );
    }
}

#[test]
fn sim_delivers_at_arrival_or_emission_to_the_same_spikes_and_reports_its_phases() {
    let base = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let spikes = |delivery: &str| {
        let dir = base.join(format!("sim_delivery_{delivery}"));
        let _ = std::fs::remove_dir_all(&dir);
        let (code, out, err) = run(&[
            "sim",
            "dsl-examples/cuba.snn",
            "--set",
            "n=800",
            "--duration",
            "100 ms",
            "--delivery",
            delivery,
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains(": expansion ")
                && out.contains(" s, set-up ")
                && out.contains(" s, steps "),
            "{out}"
        );
        std::fs::read_to_string(dir.join("spikes.csv")).unwrap()
    };
    let arrival = spikes("arrival");
    assert!(arrival.lines().count() > 100, "{arrival}");
    assert_eq!(arrival, spikes("emission"));
    let (code, _, err) = run(&["sim", "dsl-examples/cuba.snn", "--delivery", "later"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn sim_plots_svg() {
    let svg = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("raster.svg");
    let (code, _, err) = run(&[
        "sim",
        "dsl-examples/izhikevich.snn",
        "--duration",
        "20 ms",
        "--plot",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.contains("<svg") && text.contains("rate (Hz)") && text.contains("<circle"),
        "not a raster"
    );
}

#[test]
fn sim_plots_png_by_extension() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sim_png");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let plot = |net: &str, name: &str| -> Vec<u8> {
        let png = dir.join(name);
        let (code, _, err) = run(&[
            "sim",
            net,
            "--duration",
            "20 ms",
            "--plot",
            png.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        std::fs::read(&png).unwrap()
    };
    let a = plot("dsl-examples/izhikevich.snn", "a.png");
    // The signature, then the IHDR chunk: length 13, type, width, height
    // (big-endian), bit depth 8, colour type 2 (RGB).
    assert!(a.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert_eq!(&a[8..16], b"\0\0\0\x0dIHDR");
    let be = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap());
    assert_eq!((be(&a[16..20]), be(&a[20..24])), (1000, 700));
    assert_eq!(&a[24..26], &[8, 2]);
    assert!(a.ends_with(b"IEND\xaeB`\x82"), "truncated PNG");
    // The same run gives the same bytes; another network another picture.
    assert_eq!(a, plot("dsl-examples/izhikevich.snn", "again.png"));
    assert_ne!(a, plot("dsl-examples/brunel.snn", "b.png"));
    // The extension picks the format, in either case.
    assert!(plot("dsl-examples/izhikevich.snn", "upper.PNG").starts_with(b"\x89PNG"));
    // No temporary file is left beside them.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["a.png", "again.png", "b.png", "upper.PNG"]);
}

#[test]
fn sim_rejects_other_plot_formats_before_simulating() {
    for name in ["raster.pdf", "raster"] {
        let (code, out, err) = run(&[
            "sim",
            "dsl-examples/izhikevich.snn",
            "--duration",
            "20 ms",
            "--plot",
            name,
        ]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(out.is_empty(), "simulated before rejecting: {out}");
        assert!(
            err.contains(&format!("--plot {name}")) && err.contains("`.svg` or `.png`"),
            "{err}"
        );
        assert!(!crate::support::root().join(name).exists());
    }
}

#[test]
fn sim_warmup_is_simulated_but_not_recorded() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sim_warmup");
    let _ = std::fs::remove_dir_all(&dir);
    let (code, out, err) = run(&[
        "sim",
        "dsl-examples/izhikevich.snn",
        "--warmup",
        "30 ms",
        "--duration",
        "20 ms",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("simulated 50 ms (50 steps of 1 ms, recorded after 30 ms)"),
        "{out}"
    );
    let csv = std::fs::read_to_string(dir.join("spikes.csv")).unwrap();
    let times: Vec<f64> = csv
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    assert!(
        !times.is_empty() && times.iter().all(|t| *t > 30.0 && *t <= 50.0),
        "{times:?}"
    );
}

#[test]
fn sim_writes_traces_as_csv_and_npy() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sim_traces");
    let _ = std::fs::remove_dir_all(&dir);
    let src = dir.with_extension("snn");
    std::fs::write(
        &src,
        "network t { population P = IF_curr_exp[3] { i_offset = 1 nA }\n record P[0..2].v }\n",
    )
    .unwrap();
    let (code, _, err) = run(&[
        "sim",
        src.to_str().unwrap(),
        "--duration",
        "2 ms",
        "--warmup",
        "1 ms",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(dir.join("P.v.record0.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "time_ms,P:0,P:1");
    // 2 ms of 0.1 ms steps after a 1 ms warm-up: 1.1 ms to 3 ms.
    assert_eq!(lines.len(), 21);
    assert!(
        lines[1].starts_with("1.1,") && lines[20].starts_with("3,"),
        "{csv}"
    );
    let npy = std::fs::read(dir.join("P.v.record0.npy")).unwrap();
    assert!(String::from_utf8_lossy(&npy[10..80]).contains("'shape': (20, 3"));
}

//! `spikec diff`: two build directories compared by what their files mean.
//! Builds are of CUBA at 400 neurons (fast in a debug build); edited copies
//! check the routing-table semantics (order matters only where entries
//! overlap), matching of cores by content, and spike tolerances. Expected
//! text is derived from the inputs, not copied from the output.

use std::path::{Path, PathBuf};

use crate::support::run;
use spikec::diff::tables::route_text;
use spikec_spinnaker::core_data::NeuronCore;
use spikec_spinnaker::geometry::{KeyMask, Route, RoutingEntry};
use spikec_spinnaker::table::parse_binary;

/// A fresh scratch directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("diff")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Builds CUBA with `n` neurons (and more arguments) into `dir`.
fn build(dir: &Path, n: u32, extra: &[&str]) {
    let (out, n) = (s(dir), format!("n={n}"));
    let mut args = vec![
        "build",
        "dsl-examples/cuba.snn",
        "--target",
        "spinnaker",
        "-o",
        &out,
        "--set",
        &n,
    ];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

fn diff(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    run(&all)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

/// Lines of `placements.txt` as (identity, rest).
fn vertices(dir: &Path) -> Vec<String> {
    read(&dir.join("placements.txt"))
        .lines()
        .skip(1)
        .map(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            format!("{} {} {}", t[2], t[3], t[4])
        })
        .collect()
}

#[test]
fn diff_of_identical_builds_is_identical() {
    let dir = scratch("identical");
    let (a, b) = (dir.join("a"), dir.join("b"));
    build(&a, 400, &[]);
    build(&b, 400, &[]);
    let (code, out, err) = diff(&[&s(&a), &s(&b)]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "identical\n", ""));
    let (code, out, _) = diff(&[&s(&a), &s(&b), "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap(),
        serde_json::json!([])
    );
}

#[test]
fn diff_reports_a_changed_network_by_field_vertex_and_synapse() {
    let dir = scratch("changed_n");
    let (a, b) = (dir.join("a"), dir.join("b"));
    build(&a, 400, &[]);
    build(&b, 360, &[]);
    let (code, out, err) = diff(&[&s(&a), &s(&b)]);
    assert_eq!(code, 1, "{out}{err}");
    // E has round(0.8 n) neurons.
    let e = |n: f64| (0.8 * n).round() as i64;
    let (ea, eb) = (e(400.0), e(360.0));
    let want = format!(
        "~ populations[E].neurons: {ea} -> {eb} ({:+}, -10 %)",
        eb - ea
    );
    assert!(out.contains(&want), "{want}\n{out}");
    assert!(out.starts_with("report.json\n"), "{out}");
    // Vertices only one build has, named as placements.txt names them.
    let (va, vb) = (vertices(&a), vertices(&b));
    let gone: Vec<&String> = va.iter().filter(|v| !vb.contains(v)).collect();
    let new: Vec<&String> = vb.iter().filter(|v| !va.contains(v)).collect();
    assert!(!gone.is_empty() && !new.is_empty());
    for v in gone {
        assert!(out.contains(&format!("  - {v}: (")), "{v}\n{out}");
    }
    for v in new {
        assert!(out.contains(&format!("  + {v}: (")), "{v}\n{out}");
    }
    // The connection probability changed, so the synapses into the first
    // E core did too; they are named by sender, not key.
    assert!(
        out.contains("~ synapses into E 0..256 from E 0..256 neurons: "),
        "{out}"
    );
    let last = out.lines().last().unwrap();
    assert!(
        last.ends_with(" files") && last.contains(" differences in "),
        "{last}"
    );

    // With a tolerance the report's population sizes (10 % smaller) match.
    let (_, out, _) = diff(&[&s(&a), &s(&b), "--tolerance", "populations[*].neurons=10%"]);
    assert!(!out.contains("populations[E].neurons"), "{out}");
    assert!(out.contains("~ synapses: "), "{out}");
}

#[test]
fn diff_reports_another_partitioning() {
    let dir = scratch("neurons_per_core");
    let (a, b) = (dir.join("a"), dir.join("b"));
    build(&a, 400, &[]);
    build(&b, 400, &["--neurons-per-core", "128"]);
    let (code, out, _) = diff(&[&s(&a), &s(&b), "--limit", "0"]);
    assert_eq!(code, 1, "{out}");
    for want in [
        "~ populations[E].neurons_per_core: 256 -> 128 (-128, -50 %)",
        "- E 0..256 neurons: (0, 0) core",
        "+ E 0..128 neurons: (0, 0) core",
        "+ E 128..256 neurons: (0, 0) core",
        // The cores themselves, matched by the slice in their data.
        "- E 0..256 neurons: cores/",
        "+ E 0..128 neurons: cores/",
    ] {
        assert!(out.contains(want), "{want}\n{out}");
    }
    let json = diff(&[&s(&a), &s(&b), "--format", "json"]).1;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let items = v.as_array().unwrap();
    assert!(items.iter().all(|d| {
        ["file", "path", "kind", "a", "b"]
            .iter()
            .all(|k| d.get(k).is_some())
    }));
    let find = |path: &str| {
        items
            .iter()
            .find(|d| d["file"] == "report.json" && d["path"] == path)
            .unwrap_or_else(|| panic!("{path} in {json}"))
    };
    let d = find("populations[E].neurons_per_core");
    assert_eq!(
        (&d["kind"], &d["a"], &d["b"]),
        (&"changed".into(), &256.into(), &128.into())
    );
    assert!(items.iter().any(|d| d["file"] == "placements.txt"
        && d["kind"] == "added"
        && d["path"] == "E 0..128 neurons"));
}

fn write_table(path: &Path, entries: &[RoutingEntry]) {
    let mut bytes = Vec::new();
    for e in entries {
        let word = e.route.word().unwrap();
        for w in [e.key_mask.key, e.key_mask.mask, word] {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
    }
    std::fs::write(path, bytes).unwrap();
}

/// Where a router sends `key`: the first entry's route, `None` for
/// default routing.
fn first_match(t: &[RoutingEntry], key: u32) -> Option<Route> {
    t.iter().find(|e| e.key_mask.matches(key)).map(|e| e.route)
}

/// The one routed_differently difference of a JSON diff: its key and
/// both routes as text.
fn routed_differently(json: &str) -> (u32, String, String) {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let found: Vec<&serde_json::Value> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "routed_differently")
        .collect();
    assert_eq!(found.len(), 1, "{json}");
    let path = found[0]["path"].as_str().unwrap();
    let key = path.rsplit_once("key 0x").unwrap().1;
    (
        u32::from_str_radix(key, 16).unwrap(),
        found[0]["a"].as_str().unwrap().to_string(),
        found[0]["b"].as_str().unwrap().to_string(),
    )
}

#[test]
fn diff_compares_routing_tables_as_first_match_routers() {
    let dir = scratch("tables");
    let a = dir.join("a");
    build(&a, 4000, &[]);
    // A chip whose compressed table has overlapping entries.
    let (bin, table) = std::fs::read_dir(a.join("routing_tables"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let t = parse_binary(&std::fs::read(&p).unwrap()).unwrap();
            (p, t)
        })
        .find(|(_, t)| t.len() >= 2)
        .expect("a table of two entries or more");
    let name = bin.file_name().unwrap().to_owned();
    let edited = |label: &str, entries: &[RoutingEntry]| {
        let d = dir.join(label);
        copy_dir(&a, &d);
        write_table(&d.join("routing_tables").join(&name), entries);
        d
    };
    let route = |r: Option<Route>| r.map_or("default routing".to_string(), route_text);

    // The same keys as disjoint entries: one per aligned block of every
    // entry's keys that an earlier entry does not take. Any order of
    // disjoint entries routes the same.
    let mut disjoint = Vec::new();
    for (i, e) in table.iter().enumerate() {
        let free = !e.key_mask.mask;
        assert!(free.count_ones() <= 16, "{e:?}");
        let step = 1 << (free.count_ones().saturating_sub(4));
        for k in (0..=free).step_by(step as usize) {
            let key = e.key_mask.key | k;
            if table[..i].iter().any(|p| p.key_mask.matches(key)) {
                continue;
            }
            let km = KeyMask {
                key,
                mask: !(step - 1),
            };
            // Blocks cut across an earlier entry would route part wrongly.
            assert!(table[..i]
                .iter()
                .all(|p| (p.key_mask.key ^ km.key) & p.key_mask.mask & km.mask != 0));
            disjoint.push(RoutingEntry {
                key_mask: km,
                route: e.route,
            });
        }
    }
    let forward = edited("disjoint", &disjoint);
    disjoint.reverse();
    let backward = edited("disjoint_reversed", &disjoint);
    let (code, out, _) = diff(&[&s(&forward), &s(&backward)]);
    assert_eq!((code, out.as_str()), (0, "identical\n"));
    // Against the compressed table: more entries, the same routes.
    let (code, out, _) = diff(&[&s(&a), &s(&forward)]);
    assert_eq!(code, 1);
    let want = format!(
        "-> {} entries ({:+}; routes every key the same)",
        disjoint.len(),
        disjoint.len() as i64 - table.len() as i64
    );
    assert!(out.contains(&want), "{want}\n{out}");
    assert!(!out.contains("routed to"), "{out}");

    // The compressed entries reversed: the overlap now routes differently.
    let mut reversed = table.clone();
    reversed.reverse();
    let b = edited("reversed", &reversed);
    let json = diff(&[&s(&a), &s(&b), "--format", "json"]).1;
    let (key, ra, rb) = routed_differently(&json);
    assert_eq!(ra, route(first_match(&table, key)));
    assert_eq!(rb, route(first_match(&reversed, key)));
    assert_ne!(ra, rb);

    // One entry sent somewhere else: a key of that entry is reported.
    let mut moved = table.clone();
    moved[0].route = moved[0].route.union(Route::core(1));
    let c = edited("one_route", &moved);
    let (code, out, _) = diff(&[&s(&a), &s(&c)]);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("routing_tables/{}", name.to_string_lossy())),
        "{out}"
    );
    let json = diff(&[&s(&a), &s(&c), "--format", "json"]).1;
    let (key, ra, rb) = routed_differently(&json);
    assert!(table[0].key_mask.matches(key), "{key:#x}");
    assert_eq!(ra, route_text(table[0].route));
    assert_eq!(rb, route_text(moved[0].route));
}

#[test]
fn diff_matches_cores_by_content_not_by_path() {
    let dir = scratch("cores");
    let a = dir.join("a");
    build(&a, 400, &[]);
    // Swap the data of the first two cores and say so in the placements:
    // the vertices moved, the cores are the same.
    let b = dir.join("b");
    copy_dir(&a, &b);
    let lines: Vec<String> = read(&a.join("placements.txt"))
        .lines()
        .map(String::from)
        .collect();
    let loc = |l: &str| -> (String, String) {
        let t: Vec<&str> = l.split_whitespace().collect();
        (t[0].to_string(), t[1].to_string())
    };
    let ((c1, p1), (c2, p2)) = (loc(&lines[1]), loc(&lines[2]));
    let core_dir = |c: &str, p: &str| {
        let (x, y) = c
            .trim_matches(|ch| ch == '(' || ch == ')')
            .split_once(',')
            .unwrap();
        format!("cores/{x}_{y}_{p}")
    };
    let (d1, d2) = (b.join(core_dir(&c1, &p1)), b.join(core_dir(&c2, &p2)));
    let tmp = dir.join("swap");
    std::fs::rename(&d1, &tmp).unwrap();
    std::fs::rename(&d2, &d1).unwrap();
    std::fs::rename(&tmp, &d2).unwrap();
    let mut swapped = lines.clone();
    swapped[1] = lines[1].replacen(&format!("{c1} {p1} "), &format!("{c2} {p2} "), 1);
    swapped[2] = lines[2].replacen(&format!("{c2} {p2} "), &format!("{c1} {p1} "), 1);
    std::fs::write(b.join("placements.txt"), swapped.join("\n") + "\n").unwrap();
    let (code, out, _) = diff(&[&s(&a), &s(&b)]);
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("cores/"), "{out}");
    let id = |l: &str| {
        let t: Vec<&str> = l.split_whitespace().collect();
        format!("{} {} {}", t[2], t[3], t[4])
    };
    assert!(
        out.contains(&format!("~ {}: moved from", id(&lines[1]))),
        "{out}"
    );
    assert!(
        out.contains(&format!("~ {}: moved from", id(&lines[2]))),
        "{out}"
    );

    // A parameter edited in one core's data: the field and the neuron.
    let c = dir.join("c");
    copy_dir(&a, &c);
    let neurons = c.join(core_dir(&c1, &p1)).join("neurons.bin");
    let mut core = NeuronCore::decode(&std::fs::read(&neurons).unwrap()).unwrap();
    let before = core.refr_steps[3];
    core.refr_steps[3] += 1;
    std::fs::write(&neurons, core.encode()).unwrap();
    let (code, out, _) = diff(&[&s(&a), &s(&c)]);
    assert_eq!(code, 1);
    let want = format!(
        "~ {} / refr_steps: {before} -> {} (1 of {} differ; first at {}[{}])",
        id(&lines[1]),
        before + 1,
        core.n,
        lines[1].split_whitespace().nth(2).unwrap(),
        core.lo + 3
    );
    assert!(out.contains(&want), "{want}\n{out}");
    assert!(out.ends_with("1 difference in 1 file\n"), "{out}");
}

#[test]
fn diff_compares_spike_trains_exactly_or_within_tolerances() {
    let dir = scratch("spikes");
    let a = dir.join("a");
    let (code, out, err) = run(&[
        "sim",
        "dsl-examples/cuba.snn",
        "--set",
        "n=400",
        "--duration",
        "100ms",
        "--out",
        &s(&a),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    // Delay the first spike by one step (0.1 ms).
    let text = read(&a.join("spikes.csv"));
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let first: Vec<String> = lines[1].split(',').map(String::from).collect();
    let t: f64 = first[2].parse().unwrap();
    let later = format!("{:.1}", t + 0.1);
    let later = later.strip_suffix(".0").unwrap_or(&later).to_string();
    lines[1] = format!("{},{},{later}", first[0], first[1]);
    let b = dir.join("b");
    copy_dir(&a, &b);
    std::fs::write(b.join("spikes.csv"), lines.join("\n") + "\n").unwrap();
    let (code, out, _) = diff(&[&s(&a), &s(&b)]);
    assert_eq!(code, 1, "{out}");
    let (pop, neuron) = (&first[0], &first[1]);
    assert!(
        out.contains(&format!("- {pop}[{neuron}]: {} ms (only in A)", first[2])),
        "{out}"
    );
    assert!(
        out.contains(&format!("+ {pop}[{neuron}]: {later} ms (only in B)")),
        "{out}"
    );
    for tolerance in [
        &["--spike-steps", "1"][..],
        &["--spike-time-ms", "0.1"],
        &["--rate-percent", "0"],
    ] {
        let mut args = vec![s(&a), s(&b)];
        args.extend(tolerance.iter().map(|t| t.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(diff(&args).0, 0, "{tolerance:?}");
    }
    // Drop a tenth of the spikes: the rate differs by more than 5 %.
    let c = dir.join("c");
    copy_dir(&a, &c);
    let kept: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i == 0 || i % 10 != 0)
        .map(|(_, l)| l)
        .collect();
    std::fs::write(c.join("spikes.csv"), kept.join("\n") + "\n").unwrap();
    let (code, out, _) = diff(&[&s(&a), &s(&c), "--rate-percent", "5"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("~ {pop}: rate ")), "{out}");
    assert_eq!(diff(&[&s(&a), &s(&c), "--rate-percent", "50"]).0, 0);
}

#[test]
fn diff_usage_errors_exit_2() {
    let dir = scratch("usage");
    let missing = dir.join("missing");
    let (code, _, err) = diff(&[&s(&dir), &s(&missing)]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a directory"), "{err}");
    assert_eq!(diff(&[&s(&dir)]).0, 2);
    assert_eq!(diff(&[&s(&dir), &s(&dir), "--tolerance", "cores"]).0, 2);
    assert_eq!(diff(&[&s(&dir), &s(&dir), "--duration", "5 kg"]).0, 2);
}

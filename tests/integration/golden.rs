//! `spikec test`: golden-file tests of users' networks. Each test writes a
//! manifest beside a copy of CUBA (400 neurons, 20 ms: fast in a debug
//! build) in its own scratch directory, then checks passing, failing (with
//! the difference text derived from the inputs, through `spikec ir` and
//! `spikec build`), blessing, tolerances, the JSON and JUnit reports and
//! the usage errors. The shipped example must pass as it is.

use std::path::{Path, PathBuf};

use crate::support::{root, run};

/// A fresh scratch directory for one test, holding `cuba.snn`.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("golden")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root().join("dsl-examples/cuba.snn"), dir.join("cuba.snn")).unwrap();
    dir
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A manifest for `cuba.snn` with SpiNNaker, 20 ms, and one case per
/// (name, n).
fn manifest(cases: &[(&str, u32)], extra: &str) -> String {
    let mut m = format!("targets = [\"spinnaker\"]\nduration = \"20 ms\"\n{extra}\n");
    for (name, n) in cases {
        m.push_str(&format!(
            "\n[[case]]\nname = \"{name}\"\nset = {{ n = {n} }}\n"
        ));
    }
    m
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn test(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["test"];
    all.extend_from_slice(args);
    run(&all)
}

fn bless(path: &Path) {
    let (code, out, err) = test(&[&s(path), "--bless"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn missing_golden_fails_then_bless_then_pass() {
    let dir = scratch("round_trip");
    let m = write(&dir, "cuba.test.toml", &manifest(&[("n400", 400)], ""));
    let (code, out, err) = test(&[&s(&m)]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("::n400 ... FAILED"), "{out}");
    assert!(out.contains("error: no golden: `"), "{out}");
    assert!(out.contains("run with --bless to create it"), "{out}");
    assert!(out.contains("--case n400 --bless"), "{out}");

    let (code, out, err) = test(&[&s(&m), "--bless"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("::n400 ... blessed"), "{out}");
    assert!(out.contains("note: new golden: 6 files"), "{out}");
    let golden = dir.join("cuba.golden/n400");
    for f in [
        "ir.txt",
        "sim/spikes.csv",
        "spinnaker/report.json",
        "spinnaker/placements.txt",
        "spinnaker/routing_tables.txt",
        "spinnaker/verify.json",
    ] {
        assert!(golden.join(f).is_file(), "missing {f}");
    }
    // The goldens are what the commands print and write.
    let (_, ir, _) = run(&["ir", &s(&dir.join("cuba.snn")), "--set", "n=400"]);
    assert_eq!(std::fs::read_to_string(golden.join("ir.txt")).unwrap(), ir);
    let build = dir.join("build");
    let (code, _, _) = run(&[
        "build",
        &s(&dir.join("cuba.snn")),
        "--target",
        "spinnaker",
        "--set",
        "n=400",
        "-o",
        &s(&build),
    ]);
    assert_eq!(code, 0);
    for f in ["report.json", "placements.txt", "routing_tables.txt"] {
        assert_eq!(
            std::fs::read(golden.join("spinnaker").join(f)).unwrap(),
            std::fs::read(build.join(f)).unwrap(),
            "{f}"
        );
    }
    // Nothing machine- or time-dependent in them.
    let dir_text = s(&dir);
    for f in ["ir.txt", "spinnaker/report.json", "spinnaker/verify.json"] {
        let text = std::fs::read_to_string(golden.join(f)).unwrap();
        assert!(!text.contains(&dir_text), "{f} holds a path");
    }

    let (code, out, err) = test(&[&s(&m)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("::n400 ... ok"), "{out}");
    assert!(
        out.contains("test result: ok. 1 passed; 0 failed; 0 blessed"),
        "{out}"
    );
    // Through the network, and through the directory.
    let (code, out, _) = test(&[&s(&dir.join("cuba.snn"))]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = test(&[&s(&dir)]);
    assert_eq!(code, 0, "{out}");
}

/// The `report.json` value at `populations[name].field` of a build.
fn population_field(report: &Path, name: &str, field: &str) -> u64 {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    v["populations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap()[field]
        .as_u64()
        .unwrap()
}

#[test]
fn changed_set_shows_what_changed_where_and_by_how_much() {
    let dir = scratch("changed_set");
    let m = write(&dir, "cuba.test.toml", &manifest(&[("small", 400)], ""));
    bless(&m);
    write(&dir, "cuba.test.toml", &manifest(&[("small", 800)], ""));
    let (code, out, err) = test(&[&s(&m), "--limit", "0"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("::small ... FAILED"), "{out}");
    assert!(out.contains("network: "), "{out}");
    assert!(
        out.contains("cuba.snn --set n=800 (targets: spinnaker)"),
        "{out}"
    );

    // The IR lines that differ, as `spikec ir` prints them.
    let net = s(&dir.join("cuba.snn"));
    let (_, a, _) = run(&["ir", &net, "--set", "n=400"]);
    let (_, b, _) = run(&["ir", &net, "--set", "n=800"]);
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(la.len(), lb.len());
    let mut changed = 0;
    for (i, (x, y)) in la.iter().zip(&lb).enumerate() {
        if x != y {
            let want = format!("  ~ line {}: {x} -> {y}\n", i + 1);
            assert!(out.contains(&want), "missing {want:?} in\n{out}");
            changed += 1;
        }
    }
    assert!(changed >= 2, "n changes the parameter and the sizes");

    // The report fields, as `spikec build` writes them.
    let report = |n: u32| {
        let d = dir.join(format!("build{n}"));
        let (code, _, _) = run(&[
            "build",
            &net,
            "--target",
            "spinnaker",
            "--set",
            &format!("n={n}"),
            "-o",
            &s(&d),
        ]);
        assert_eq!(code, 0);
        d.join("report.json")
    };
    let (ra, rb) = (report(400), report(800));
    let (ea, eb) = (
        population_field(&ra, "E", "neurons"),
        population_field(&rb, "E", "neurons"),
    );
    // Percentages are printed with at most two decimals.
    let pct = format!("{:.2}", (eb as f64 - ea as f64) / ea as f64 * 100.0);
    let pct = pct.trim_end_matches('0').trim_end_matches('.');
    let want = format!(
        "  ~ populations[E].neurons: {ea} -> {eb} (+{}, +{pct} %)\n",
        eb - ea
    );
    assert!(out.contains(&want), "missing {want:?} in\n{out}");
    for section in [
        "ir.txt\n",
        "spinnaker/report.json\n",
        "spinnaker/placements.txt\n",
        "sim/spikes.csv\n",
    ] {
        assert!(out.contains(section), "no {section:?} in\n{out}");
    }
    assert!(out.contains("A: golden `"), "{out}");
    assert!(out.contains("--case small --bless"), "{out}");
    assert!(
        out.contains("test result: FAILED. 0 passed; 1 failed"),
        "{out}"
    );
    // The goldens are untouched by a run without --bless.
    assert!(
        std::fs::read_to_string(dir.join("cuba.golden/small/ir.txt"))
            .unwrap()
            .contains("param n = 400")
    );
}

#[cfg(unix)]
fn inode(p: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).unwrap().ino()
}

#[test]
fn bless_rewrites_only_the_cases_that_differ() {
    let dir = scratch("bless_only_differing");
    let m = write(
        &dir,
        "cuba.test.toml",
        &manifest(&[("same", 400), ("changes", 200)], ""),
    );
    bless(&m);
    let (same, changes) = (
        dir.join("cuba.golden/same"),
        dir.join("cuba.golden/changes"),
    );
    let before = std::fs::read(same.join("ir.txt")).unwrap();
    #[cfg(unix)]
    let (ino_same, ino_changes) = (inode(&same), inode(&changes));
    write(
        &dir,
        "cuba.test.toml",
        &manifest(&[("same", 400), ("changes", 300)], ""),
    );
    let (code, out, err) = test(&[&s(&m), "--bless"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("::same ... ok"), "{out}");
    assert!(out.contains("::changes ... blessed"), "{out}");
    // The summary: how many differences, in which files.
    let summary = out
        .lines()
        .find(|l| l.contains(" differences in ") && l.contains("ir.txt ("))
        .unwrap_or_else(|| panic!("no summary in\n{out}"));
    assert!(summary.contains("spinnaker/report.json ("), "{summary}");
    assert!(out.contains("1 passed; 0 failed; 1 blessed"), "{out}");
    assert_eq!(std::fs::read(same.join("ir.txt")).unwrap(), before);
    #[cfg(unix)]
    {
        assert_eq!(inode(&same), ino_same, "a matching case was rewritten");
        assert_ne!(inode(&changes), ino_changes, "a differing case was not");
    }
    assert!(std::fs::read_to_string(changes.join("ir.txt"))
        .unwrap()
        .contains("param n = 300"));
    let (code, out, _) = test(&[&s(&m)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 passed; 0 failed; 0 blessed"), "{out}");

    // A case that is gone: named, then removed by --bless.
    write(&dir, "cuba.test.toml", &manifest(&[("same", 400)], ""));
    let (code, out, _) = test(&[&s(&m)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("belongs to no case"), "{out}");
    bless(&m);
    assert!(!changes.exists());
    // A run of one case leaves the others' goldens alone.
    let (code, out, _) = test(&[&s(&m), "--case", "same", "--bless"]);
    assert_eq!(code, 0, "{out}");
    assert!(same.is_dir());
}

#[test]
fn tolerances_accept_small_changes() {
    let dir = scratch("tolerances");
    let m = write(&dir, "cuba.test.toml", &manifest(&[("t", 400)], ""));
    bless(&m);
    // Move the first spike one step later and grow a report number by 1 %.
    let golden = dir.join("cuba.golden/t");
    let spikes = golden.join("sim/spikes.csv");
    let text = std::fs::read_to_string(&spikes).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let f: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    let t: f64 = f[2].parse().unwrap();
    lines[1] = format!("{},{},{}", f[0], f[1], t + 0.1);
    std::fs::write(&spikes, lines.join("\n") + "\n").unwrap();
    let report = golden.join("spinnaker/report.json");
    let mut r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let sdram = r["sdram_bytes_max_chip"].as_u64().unwrap();
    r["sdram_bytes_max_chip"] = (sdram + sdram / 100).into();
    std::fs::write(&report, serde_json::to_string_pretty(&r).unwrap()).unwrap();

    let (code, out, _) = test(&[&s(&m)]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("(1 spike only in A, 1 only in B;"), "{out}");
    assert!(
        out.contains(&format!("+ {}[{}]: {t} ms (only in B)", f[0], f[1])),
        "{out}"
    );
    assert!(out.contains("~ sdram_bytes_max_chip: "), "{out}");

    let tolerant = "[tolerances]\nspike_steps = 1\nreport = [\"sdram_bytes_max_chip=2%\"]";
    write(&dir, "cuba.test.toml", &manifest(&[("t", 400)], tolerant));
    let (code, out, _) = test(&[&s(&m)]);
    assert_eq!(code, 0, "{out}");
}

/// The elements of an XML document, in order, as (name, attributes);
/// panics unless it is well formed (one root, tags nested and closed,
/// attribute values quoted, `&` only in the five entities).
fn xml_elements(xml: &str) -> Vec<(String, Vec<(String, String)>)> {
    fn check_text(t: &str) {
        assert!(!t.contains('<'), "raw < in {t:?}");
        let mut rest = t;
        while let Some(i) = rest.find('&') {
            rest = &rest[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| rest.starts_with(e)),
                "bad entity at {rest:?}"
            );
            rest = &rest[1..];
        }
    }
    let mut rest = xml.trim();
    if rest.starts_with("<?xml") {
        let end = rest.find("?>").expect("prolog ends");
        rest = rest[end + 2..].trim_start();
    }
    let (mut stack, mut out, mut roots) = (Vec::<String>::new(), Vec::new(), 0);
    while !rest.is_empty() {
        let lt = rest.find('<').unwrap_or(rest.len());
        check_text(&rest[..lt]);
        if lt == rest.len() {
            assert!(
                rest.trim().is_empty() || !stack.is_empty(),
                "text after the root"
            );
            break;
        }
        rest = &rest[lt..];
        let gt = rest.find('>').expect("tag ends");
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.trim()),
                "mismatched </{name}>"
            );
            continue;
        }
        let (body, closed) = match tag.strip_suffix('/') {
            Some(b) => (b, true),
            None => (tag, false),
        };
        let name_end = body.find(char::is_whitespace).unwrap_or(body.len());
        let name = body[..name_end].to_string();
        assert!(!name.is_empty(), "empty tag");
        let mut attrs = Vec::new();
        let mut a = body[name_end..].trim();
        while !a.is_empty() {
            let eq = a.find('=').expect("attribute has =");
            let key = a[..eq].trim().to_string();
            let v = a[eq + 1..].trim_start();
            assert!(v.starts_with('"'), "unquoted attribute {key}");
            let close = v[1..].find('"').expect("attribute closes") + 1;
            check_text(&v[1..close]);
            attrs.push((key, v[1..close].to_string()));
            a = v[close + 1..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
        }
        if !closed {
            stack.push(name.clone());
        }
        out.push((name, attrs));
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
    assert_eq!(roots, 1, "one root element");
    out
}

#[test]
fn json_and_junit_reports() {
    let dir = scratch("reports");
    let m = write(
        &dir,
        "cuba.test.toml",
        &manifest(&[("pass", 400), ("fail", 200)], ""),
    );
    bless(&m);
    write(
        &dir,
        "cuba.test.toml",
        &manifest(&[("pass", 400), ("fail", 240)], ""),
    );
    let (code, out, _) = test(&[&s(&m), "--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64()),
        (Some(1), Some(1))
    );
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases[0]["case"], "pass");
    assert_eq!(cases[0]["status"], "passed");
    assert_eq!(cases[1]["status"], "failed");
    assert_eq!(cases[1]["set"], serde_json::json!(["n=240"]));
    let diffs = cases[1]["differences"].as_array().unwrap();
    assert!(diffs
        .iter()
        .any(|d| d["file"] == "ir.txt" && d["kind"] == "changed"));
    assert!(diffs
        .iter()
        .any(|d| d["file"] == "spinnaker/report.json" && d["path"] == "populations[E].neurons"));

    let (code, out, _) = test(&[&s(&m), "--format", "junit"]);
    assert_eq!(code, 1);
    let elements = xml_elements(&out);
    let names: Vec<&str> = elements.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["testsuites", "testsuite", "testcase", "testcase", "failure"]
    );
    let attr = |i: usize, k: &str| {
        elements[i]
            .1
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {k} on {:?}", elements[i]))
    };
    assert_eq!(attr(1, "tests"), "2");
    assert_eq!(attr(1, "failures"), "1");
    assert_eq!(attr(2, "name"), "pass");
    assert_eq!(attr(3, "name"), "fail");
    assert!(attr(4, "message").contains(" differences in "));
    // The failure holds the human text: a `->` arrow is escaped.
    assert!(out.contains("populations[E].neurons: "), "{out}");
    assert!(out.contains(" -&gt; "), "{out}");
}

#[test]
fn failures_name_their_cause() {
    let dir = scratch("causes");
    // A network that does not compile: the diagnostics, not a panic.
    let m = write(
        &dir,
        "cuba.test.toml",
        "duration = \"5 ms\"\nset = { n = \"40 mV\" }\n",
    );
    let (code, out, _) = test(&[&s(&m), "--bless"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error: compile failed:"), "{out}");
    assert!(out.contains("error[E"), "{out}");
    assert!(
        !dir.join("cuba.golden").exists(),
        "a failed case was blessed"
    );
    let (code, out, _) = test(&[&s(&m), "--format", "junit"]);
    assert_eq!(code, 1);
    let names: Vec<String> = xml_elements(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["testsuites", "testsuite", "testcase", "error"]);

    // A backend that refuses the network: its diagnostics, nothing blessed.
    write(
        &dir,
        "cuba.test.toml",
        "targets = [\"sfq\"]\nduration = \"5 ms\"\nset = { n = 400 }\n",
    );
    let (code, out, _) = test(&[&s(&m), "--bless"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error: sfq build failed:"), "{out}");
    assert!(out.contains("error[E0067]"), "{out}");
    assert!(
        !dir.join("cuba.golden").exists(),
        "a failed case was blessed"
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = scratch("usage");
    let missing = s(&dir.join("missing.test.toml"));
    let cases: Vec<(Vec<String>, &str, &str)> = vec![
        (vec![missing], "does not exist", ""),
        (vec![s(&dir)], "no test manifests in", ""),
        (vec![s(&dir.join("cuba.snn"))], "has no test manifest", ""),
        (
            vec![s(&dir), "--format".into(), "xml".into()],
            "invalid value 'xml'",
            "",
        ),
        (
            vec![s(&dir.join("cuba.test.toml"))],
            "unknown field `duraton`",
            "duraton = \"1 ms\"\n",
        ),
        (
            vec![s(&dir.join("cuba.test.toml"))],
            "`loihi` is not a target",
            "targets = [\"loihi\"]\n",
        ),
        (
            vec![s(&dir.join("cuba.test.toml"))],
            "two cases have this name",
            "[[case]]\nname = \"a\"\n[[case]]\nname = \"a\"\n",
        ),
        (
            vec![
                s(&dir.join("cuba.test.toml")),
                "--case".into(),
                "nope".into(),
            ],
            "no case matches --case nope",
            "duration = \"1 ms\"\n",
        ),
    ];
    for (args, want, manifest) in cases {
        if !manifest.is_empty() {
            write(&dir, "cuba.test.toml", manifest);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = test(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(want), "{args:?}: want {want:?} in {err}");
    }
}

#[test]
fn a_directory_manifest_lists_cases_of_several_networks() {
    let dir = scratch("directory_manifest");
    std::fs::create_dir_all(dir.join("nets")).unwrap();
    std::fs::rename(dir.join("cuba.snn"), dir.join("nets/cuba.snn")).unwrap();
    let text = "duration = \"10 ms\"\n\n[[case]]\nname = \"a\"\nfile = \"nets/cuba.snn\"\nset = { n = 400 }\n\n\
                [[case]]\nname = \"b\"\nfile = \"nets/cuba.snn\"\nset = { n = 200 }\nsim = false\n";
    let m = write(&dir, "spikec-tests.toml", text);
    bless(&dir);
    assert!(dir.join("spikec-tests.golden/a/sim/spikes.csv").is_file());
    assert!(dir.join("spikec-tests.golden/b/ir.txt").is_file());
    assert!(!dir.join("spikec-tests.golden/b/sim").exists());
    let (code, out, _) = test(&[&s(&m), "--case", "b"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("running 1 case\n"), "{out}");
}

#[test]
fn the_shipped_example_passes() {
    let (code, out, err) = test(&["dsl-examples/tests"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("dsl-examples/tests/cuba.test.toml::n400 ... ok"),
        "{out}"
    );
}

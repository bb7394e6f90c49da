//! The invalid-program corpus (`tests/invalid/*.snn`): each file names the
//! code it must produce in its first line (`# expect: E0020`), optionally
//! command-line arguments (`# args: --set n=3`; `--target spinnaker
//! [--machine M]` also builds for SpiNNaker, with a machine file relative to
//! the case; `--target sfq [--tech FILE] [--chip LIMITS] [--clock T]` for
//! SFQ). The rendered diagnostics are golden files; every code in the
//! registry must be covered.

use std::collections::BTreeSet;

use crate::support::{compile_rel, rel, rendered, root, snn_files, CwdGuard};
use spikec::build_sfq::SfqRequest;
use spikec::build_spinnaker::{build, warnings, MachineSource, SpinnakerRequest};
use spikec::diag::CODES;
use spikec::driver::Override;

struct Case {
    name: String,
    expect: String,
    overrides: Vec<Override>,
    path: std::path::PathBuf,
    /// `--target spinnaker`: the machine to build for.
    spinnaker: Option<MachineSource>,
    /// `--target sfq`: the request.
    sfq: Option<SfqRequest>,
}

fn cases() -> Vec<Case> {
    snn_files("tests/invalid")
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable");
            let mut expect = None;
            let mut overrides = Vec::new();
            let mut target = false;
            let mut machine = MachineSource::Preset("spinn5".into());
            let mut sfq: Option<SfqRequest> = None;
            for line in text.lines().take(3) {
                if let Some(c) = line.strip_prefix("# expect:") {
                    expect = Some(c.trim().to_string());
                }
                if let Some(a) = line.strip_prefix("# args:") {
                    let words: Vec<&str> = a.split_whitespace().collect();
                    target |= words.windows(2).any(|w| w == ["--target", "spinnaker"]);
                    if words.windows(2).any(|w| w == ["--target", "sfq"]) {
                        sfq = Some(SfqRequest::default());
                    }
                    for w in words.windows(2) {
                        if let Some(req) = sfq.as_mut() {
                            match w[0] {
                                // Relative to the root, where the build runs,
                                // so the message names it the same anywhere.
                                "--tech" => {
                                    req.tech = Some(rel(&path).parent().unwrap().join(w[1]))
                                }
                                "--chip" => req.chip = Some(w[1].to_string()),
                                "--clock" => {
                                    let ms =
                                        spikec::sim_out::parse_duration(w[1]).expect("a period");
                                    req.clock_ms = Some(ms);
                                }
                                _ => {}
                            }
                        }
                        if w[0] == "--machine" {
                            machine = match MachineSource::parse(w[1]) {
                                MachineSource::File(f) => {
                                    MachineSource::File(path.parent().unwrap().join(f))
                                }
                                preset => preset,
                            };
                        }
                        if w[0] == "--set" {
                            let (n, v) = w[1].split_once('=').expect("NAME=VALUE");
                            overrides.push(Override {
                                name: n.into(),
                                value: v.into(),
                            });
                        }
                    }
                }
            }
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            Case {
                expect: expect
                    .unwrap_or_else(|| panic!("{name}: first line must be `# expect: CODE`")),
                name,
                overrides,
                path,
                spinnaker: target.then_some(machine),
                sfq,
            }
        })
        .collect()
}

#[test]
fn corpus_reports_expected_codes_golden() {
    let cases = cases();
    assert!(cases.len() >= 40, "only {} invalid programs", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let mut c = compile_rel(&rel(&case.path), &case.overrides);
        // Programs that compile go on to the shared middle end, whose
        // errors (E0052) are diagnostics like any other.
        if let Some(net) = &c.network {
            let result = match (&case.spinnaker, &case.sfq) {
                (_, Some(req)) => {
                    let _guard = CwdGuard::enter(&root());
                    spikec::build_sfq::build(net, req).map(|art| {
                        c.diagnostics
                            .extend(spikec::build_sfq::warnings(net, &art.design))
                    })
                }
                // The backend's errors name declarations in the source too.
                (Some(machine), None) => {
                    let req = SpinnakerRequest {
                        machine: machine.clone(),
                        neurons_per_core: None,
                        colour_bits: 0,
                    };
                    build(net, &req).map(|art| c.diagnostics.extend(warnings(net, &art)))
                }
                (None, None) => spikec::driver::expand_network(net).map(|_| ()),
            };
            if let Err(diags) = result {
                c.diagnostics.extend(diags);
            }
        }
        let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code).collect();
        if !codes.contains(&case.expect.as_str()) {
            failures.push(format!(
                "{}: expected {}, got {:?}\n{}",
                case.name,
                case.expect,
                codes,
                rendered(&c)
            ));
            continue;
        }
        // One mistake, one kind of report: no follow-up errors or warnings
        // caused by the first.
        if let Some(other) = codes.iter().find(|c| **c != case.expect) {
            failures.push(format!(
                "{}: follow-up diagnostic {other} besides {}\n{}",
                case.name,
                case.expect,
                rendered(&c)
            ));
        }
        // Error cases must fail; warning cases must have no errors.
        let is_warning = case.expect.starts_with('W');
        if is_warning == c.has_errors() {
            failures.push(format!(
                "{}: wrong outcome (errors: {})\n{}",
                case.name,
                c.has_errors(),
                rendered(&c)
            ));
        }
        insta::assert_snapshot!(format!("diag_{}", case.name), rendered(&c));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_code_is_covered_and_explained() {
    let covered: BTreeSet<String> = cases().into_iter().map(|c| c.expect).collect();
    for info in CODES {
        // E0000 is an internal compiler error: no input may produce it.
        assert!(
            covered.contains(info.code) || info.code == "E0000",
            "no invalid program in tests/invalid exercises {}",
            info.code
        );
        let text = info.explanation;
        assert!(
            text.len() > 200 && !text.contains("TODO"),
            "{} needs a real explanation",
            info.code
        );
        assert!(
            text.contains("```"),
            "{} explanation needs an example",
            info.code
        );
    }
}

#[test]
fn codes_are_unique_and_well_formed() {
    let mut seen = BTreeSet::new();
    for info in CODES {
        assert!(seen.insert(info.code), "duplicate code {}", info.code);
        let (letter, digits) = info.code.split_at(1);
        assert!(
            matches!(letter, "E" | "W")
                && digits.len() == 4
                && digits.chars().all(|c| c.is_ascii_digit())
        );
    }
}

#[test]
fn diagnostics_carry_span_and_help() {
    for case in cases() {
        let c = compile_rel(&rel(&case.path), &case.overrides);
        for d in &c.diagnostics {
            assert!(
                d.help.is_some(),
                "{}: {} has no help line",
                case.name,
                d.code
            );
            if d.code != "E0051" {
                assert!(
                    !d.labels.is_empty(),
                    "{}: {} has no source span",
                    case.name,
                    d.code
                );
            }
        }
    }
}

#[test]
fn diamond_imports_are_loaded_once() {
    // main imports a and b; both import common. The model in common must be
    // defined once, not reported as a duplicate.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("diamond");
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    std::fs::create_dir_all(dir.join("other")).unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write(
        "lib/common.snn",
        "alias shared_lif = IF_curr_exp { tau_m = 10 ms }\n",
    );
    write("lib/a.snn", "import \"common.snn\"\n");
    // The same file by another path.
    write("other/b.snn", "import \"../lib/common.snn\"\n");
    write(
        "main.snn",
        "import \"lib/a.snn\"\nimport \"other/b.snn\"\nnetwork d { population P = shared_lif[2]\n record P.spikes }\n",
    );
    let c = spikec::driver::compile_file(&dir.join("main.snn"), &[]).unwrap();
    assert!(c.diagnostics.is_empty(), "{}", rendered(&c));
    assert!(c.network.is_some());
}

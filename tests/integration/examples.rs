//! Every shipped example checks clean (no errors, no warnings) and its IR
//! text is pinned by a golden file.

use crate::support::{compile_rel, rel, rendered, root, snn_files};
use spikec::driver::Override;
use spikec_ir::{print_network, validate};

fn ir_of(path: &std::path::Path, overrides: &[Override]) -> String {
    let c = compile_rel(&rel(path), overrides);
    assert!(
        c.diagnostics.is_empty(),
        "{} should check clean:\n{}",
        path.display(),
        rendered(&c)
    );
    let net = c.network.expect("a network");
    let valid = validate(&net).expect("validated by the driver");
    print_network(&valid)
}

#[test]
fn examples_exist() {
    let names: Vec<String> = snn_files("dsl-examples")
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "cuba.snn",
        "coba.snn",
        "brunel.snn",
        "izhikevich.snn",
        "microcircuit.snn",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "missing dsl-examples/{want}"
        );
    }
}

#[test]
fn examples_ir_golden() {
    for path in snn_files("dsl-examples") {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = ir_of(&path, &[]);
        insta::assert_snapshot!(format!("ir_{name}"), text);
    }
}

#[test]
fn cuba_size_parameter_keeps_in_degree() {
    let set = |v: &str| {
        vec![Override {
            name: "n".into(),
            value: v.into(),
        }]
    };
    let ir = ir_of(&root().join("dsl-examples/cuba.snn"), &set("40000"));
    assert!(ir.contains("population E: cuba_lif[32000]"), "{ir}");
    assert!(ir.contains("population I: cuba_lif[8000]"), "{ir}");
    // p = 80 / n: in-degree 80 at any size.
    assert!(ir.contains("fixed_probability(p = 0.002,"), "{ir}");
}

#[test]
fn microcircuit_scales_down() {
    let set = vec![
        Override {
            name: "N_scaling".into(),
            value: "0.1".into(),
        },
        Override {
            name: "K_scaling".into(),
            value: "0.1".into(),
        },
    ];
    let full = ir_of(&root().join("dsl-examples/microcircuit.snn"), &[]);
    let small = ir_of(&root().join("dsl-examples/microcircuit.snn"), &set);
    // Full scale: the published 77,169 neurons.
    let sizes = |ir: &str| -> u64 {
        ir.lines()
            .filter(|l| l.starts_with("population "))
            .filter_map(|l| {
                l.rsplit_once('[')
                    .and_then(|(_, r)| r.trim_end_matches(']').parse::<u64>().ok())
            })
            .sum()
    };
    assert_eq!(sizes(&full), 77_169);
    let small_n = sizes(&small);
    assert!((7_700..=7_730).contains(&small_n), "scaled size {small_n}");
    // About 3e8 synapses at full scale, from the connectors themselves.
    let synapses: u64 = full
        .lines()
        .filter_map(|l| l.trim().strip_prefix("connector fixed_total_number(n = "))
        .filter_map(|r| r.split(',').next()?.parse::<u64>().ok())
        .sum();
    assert!(
        (2.9e8..3.1e8).contains(&(synapses as f64)),
        "{synapses} synapses"
    );
}

use super::parse::junction_count;
use super::*;

fn tech() -> Technology {
    Technology::default()
}

/// The default file with one replacement, which must apply.
fn edited(from: &str, to: &str) -> String {
    assert!(
        DEFAULT_TOML.contains(from),
        "`{from}` is not in the default file"
    );
    DEFAULT_TOML.replacen(from, to, 1)
}

/// The 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).expect("needle present");
    text[..at].matches('\n').count() + 1
}

fn points(pairs: &[(f64, f64)]) -> Vec<CalibrationPoint> {
    pairs
        .iter()
        .map(|&(bias_ua, value)| CalibrationPoint { bias_ua, value })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn default_parses_and_validates() {
    let t = tech();
    assert_eq!(t.name(), "mitll-sfq5ee-rsfq");
    assert_eq!(t.unit_ic_ua(), 250.0);
    assert_eq!(t.bias_voltage_mv(), 2.5);
    assert!(t.bias_resolution_ua() > 0.0);
    assert!(t.jj_model().starts_with(".model jjmit jj("));
    assert_eq!(t.cells().len(), CellKind::ALL.len());
    for kind in CellKind::ALL {
        assert!(t.cells().contains_key(&kind), "{kind} missing");
    }
}

#[test]
fn default_cells_have_the_issues_junction_counts() {
    let t = tech();
    assert_eq!(t.cell(CellKind::Jtl).jjs, 2);
    assert_eq!(t.cell(CellKind::Split).jjs, 3);
    assert_eq!(t.cell(CellKind::Merge).jjs, 7);
    assert_eq!(t.cell(CellKind::Dff).jjs, 7);
    assert_eq!(t.cell(CellKind::Ndro).jjs, 11);
    assert!((3..=4).contains(&t.cell(CellKind::DcSfq).jjs));
    assert!((8..=10).contains(&t.cell(CellKind::SfqDc).jjs));
    assert!((t.cell(CellKind::Jtl).delay_ps - 3.5).abs() < 0.5);
    assert!((t.cell(CellKind::Split).delay_ps - 6.0).abs() < 1.0);
    assert!((t.cell(CellKind::Merge).delay_ps - 9.0).abs() < 1.0);
}

#[test]
fn junction_counts_equal_subcircuit_junctions() {
    for (kind, cell) in tech().cells() {
        assert_eq!(junction_count(&cell.subcircuit), cell.jjs, "{kind}");
    }
}

/// Sum of the final values of `I… pwl(… value)` sources, µA.
fn bias_sources_ua(netlist: &str) -> f64 {
    netlist
        .lines()
        .filter(|line| line.trim_start().starts_with('I'))
        .map(|line| {
            let inner = line.split("pwl(").nth(1).expect("pwl source");
            let last = inner.trim_end_matches(')').split_whitespace().last();
            let last = last.expect("a value");
            let number: f64 = last.trim_end_matches('u').parse().expect("µA value");
            assert!(last.ends_with('u'), "{last}");
            number
        })
        .sum()
}

#[test]
fn default_bias_sources_sum_to_the_cells_bias() {
    for (kind, cell) in tech().cells() {
        let sum = bias_sources_ua(&cell.subcircuit);
        assert!(
            close(sum, cell.bias_ua),
            "{kind}: sources {sum} µA, file {} µA",
            cell.bias_ua
        );
    }
}

#[test]
fn default_biases_are_about_0_7_ic_per_biased_junction() {
    // The JTL's two junctions are unit junctions biased at 0.7 Ic.
    let t = tech();
    let jtl = t.cell(CellKind::Jtl);
    assert!(close(
        jtl.bias_ua / f64::from(jtl.jjs),
        0.7 * t.unit_ic_ua()
    ));
}

#[test]
fn subcircuits_are_named_and_ported_like_the_pins() {
    let t = tech();
    assert_eq!(t.cell(CellKind::Jtl).subcircuit_name(), "JTL");
    assert_eq!(t.cell(CellKind::Split).subcircuit_name(), "SPLIT");
    let dff = t.cell(CellKind::Dff);
    assert!(dff.is_clocked());
    assert!(dff.setup_ps.is_some() && dff.hold_ps.is_some());
    assert_eq!(dff.pins.ports().collect::<Vec<_>>(), ["a", "clk", "q"]);
    let neuron = t.cell(CellKind::Neuron);
    assert_eq!(neuron.pins.biases, ["thbias", "lkbias"]);
    assert!(t.cell(CellKind::Merge).min_cross_separation_ps.is_some());
}

#[test]
fn jtl_power_is_its_bias_times_the_rail() {
    let t = tech();
    let jtl = t.cell(CellKind::Jtl);
    assert!(close(
        t.cell_power_uw(CellKind::Jtl),
        jtl.bias_ua * 2.5 / 1000.0
    ));
    assert!(close(t.cell_power_uw(CellKind::Jtl), 0.875));
    let synapse = t.cell(CellKind::Synapse);
    assert!(close(synapse.total_bias_ua(), synapse.bias_ua + 130.0));
}

#[test]
fn totals_add_up_cells() {
    let t = tech();
    let totals = t.totals([
        (CellKind::Jtl, 10),
        (CellKind::Split, 2),
        (CellKind::Jtl, 1),
    ]);
    let (jtl, split) = (t.cell(CellKind::Jtl), t.cell(CellKind::Split));
    assert_eq!(totals.cells, 13);
    assert_eq!(totals.jjs, 11 * 2 + 2 * 3);
    assert!(close(
        totals.bias_ua,
        11.0 * jtl.bias_ua + 2.0 * split.bias_ua
    ));
    assert!(close(totals.power_uw, totals.bias_ua * 2.5 / 1000.0));
    assert!(close(
        totals.area_um2,
        11.0 * jtl.area_um2 + 2.0 * split.area_um2
    ));
    assert_eq!(t.totals([]), Totals::default());
    assert!(t.chip().fits(&totals));
}

#[test]
fn power_per_junction_is_near_supersnn() {
    // SuperSNN: 5,822 JJs drawing 2.15 mW, 0.37 µW per junction. A network
    // mix (mostly splitters, mergers and synapses) should be within 2x.
    let t = tech();
    let reference = t.reference().expect("default names a reference chip");
    let per_jj = reference.power_per_jj_uw();
    assert!((per_jj - 0.369).abs() < 0.01, "{per_jj}");
    let mix = t.totals([
        (CellKind::Split, 40),
        (CellKind::Merge, 40),
        (CellKind::Synapse, 40),
        (CellKind::Jtl, 40),
        (CellKind::Neuron, 4),
        (CellKind::Dff, 4),
    ]);
    let mix_per_jj = mix.power_uw / mix.jjs as f64;
    assert!(
        mix_per_jj > per_jj / 2.0 && mix_per_jj < per_jj * 2.0,
        "{mix_per_jj}"
    );
    // The reference chip's junctions fit on one die at this density.
    let area_per_jj = mix.area_um2 / mix.jjs as f64;
    assert!(area_per_jj * reference.jjs as f64 <= t.chip().usable_area_um2());
}

#[test]
fn synapse_calibration_interpolates_and_inverts() {
    let cal = tech().synapse_calibration().clone();
    assert!(close(cal.probability(130.0), 0.5));
    // Halfway between two points, halfway between their values.
    assert!(close(cal.probability(129.75), (0.3029 + 0.5) / 2.0));
    // Round trip wherever the table rises.
    let (low, high) = cal.bias_range();
    let mut bias = low;
    while bias <= high {
        let p = cal.probability(bias);
        let back = cal.bias_for(p);
        assert!(
            (back - bias).abs() < 1e-9 || p == 0.0 || p == 1.0,
            "{bias} -> {p} -> {back}"
        );
        bias += 0.07;
    }
    for p in [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99] {
        assert!(close(cal.probability(cal.bias_for(p)), p));
    }
}

#[test]
fn synapse_calibration_is_monotone_steep_and_a_probability() {
    let cal = tech().synapse_calibration().clone();
    assert_eq!(cal.value_range(), (0.0, 1.0));
    let mut previous = -1.0;
    let mut bias = 120.0;
    while bias < 140.0 {
        let p = cal.probability(bias);
        assert!(p >= previous && (0.0..=1.0).contains(&p));
        previous = p;
        bias += 0.01;
    }
    // A steep sigmoid: a few µA from 10 % to 90 %.
    let width = cal.bias_for(0.9) - cal.bias_for(0.1);
    assert!(width > 1.0 && width < 6.0, "{width}");
}

#[test]
fn calibration_clamps_outside_its_range() {
    let cal = tech().synapse_calibration().clone();
    let (low, high) = cal.bias_range();
    assert_eq!(cal.probability(0.0), 0.0);
    assert_eq!(cal.probability(low - 5.0), 0.0);
    assert_eq!(cal.probability(high + 5.0), 1.0);
    assert_eq!(cal.probability(f64::NAN), 0.0);
    assert_eq!(cal.bias_for(-0.5), low);
    assert_eq!(cal.bias_for(0.0), low);
    assert_eq!(cal.bias_for(1.5), high);
    assert_eq!(cal.bias_for(f64::NAN), low);
}

#[test]
fn calibration_plateaus_invert_to_their_lowest_bias() {
    let cal =
        Calibration::new(points(&[(0.0, 0.0), (1.0, 0.5), (2.0, 0.5), (3.0, 1.0)])).expect("valid");
    assert!(close(cal.bias_for(0.5), 1.0));
    assert!(close(cal.bias_for(0.75), 2.5));
    assert!(close(cal.probability(1.5), 0.5));
}

#[test]
fn bad_calibration_tables_are_refused() {
    use CalibrationError::*;
    assert_eq!(Calibration::new(vec![]), Err(TooFewPoints { found: 0 }));
    assert!(matches!(
        Calibration::new(points(&[(1.0, 0.1)])),
        Err(TooFewPoints { found: 1 })
    ));
    assert!(matches!(
        Calibration::new(points(&[(1.0, 0.1), (1.0, 0.2)])),
        Err(BiasNotIncreasing { index: 1, .. })
    ));
    assert!(matches!(
        Calibration::new(points(&[(1.0, 0.3), (2.0, 0.2)])),
        Err(ValueDecreasing { index: 1, .. })
    ));
    assert!(matches!(
        Calibration::new(points(&[(1.0, -0.1), (2.0, 0.2)])),
        Err(Negative { index: 0, .. })
    ));
    assert!(matches!(
        Calibration::new(points(&[(1.0, f64::NAN), (2.0, 0.2)])),
        Err(NotFinite { index: 0 })
    ));
    assert!(matches!(
        Calibration::new(points(&[(1.0, 0.2), (2.0, 0.2)])),
        Err(Flat { .. })
    ));
    assert!(matches!(
        Calibration::probabilities(points(&[(1.0, 0.2), (2.0, 1.2)])),
        Err(NotProbability { index: 1, .. })
    ));
    // Rates above 1 are fine outside probability tables.
    assert!(Calibration::new(points(&[(1.0, 0.2), (2.0, 1.2)])).is_ok());
}

#[test]
fn biases_are_quantised_to_the_resolution() {
    let t = tech();
    assert!(close(quantise(130.04, 0.1), 130.0));
    assert!(close(quantise(130.06, 0.1), 130.1));
    assert!(close(quantise(7.3, 0.5), 7.5));
    assert_eq!(quantise(7.3, 0.0), 7.3);
    assert_eq!(quantise(7.3, f64::NAN), 7.3);
    assert!(close(t.quantise_bias(129.96), 130.0));
    let half = t.synapse_setting(0.5);
    assert!(close(half.bias_ua, 130.0));
    assert!(close(half.probability, 0.5));
    for wanted in [0.05, 0.3, 0.62, 0.97] {
        let setting = t.synapse_setting(wanted);
        let steps = setting.bias_ua / t.bias_resolution_ua();
        assert!((steps - steps.round()).abs() < 1e-6);
        // Half a step of bias error at the steepest slope (~0.4 / µA).
        assert!(
            (setting.probability - wanted).abs() < 0.03,
            "{wanted}: {setting:?}"
        );
    }
}

#[test]
fn neuron_threshold_and_leak_are_bias_parameters() {
    let neuron = tech().neuron().clone();
    assert_eq!(neuron.threshold_range(), (1, 11));
    for pulses in 1..=11 {
        let bias = neuron.bias_for_threshold(pulses).expect("in range");
        assert_eq!(
            neuron.threshold_for_bias(bias),
            Some(pulses),
            "{pulses} at {bias}"
        );
    }
    assert_eq!(neuron.bias_for_threshold(0), None);
    assert_eq!(neuron.bias_for_threshold(12), None);
    assert_eq!(neuron.threshold_for_bias(10.0), None);
    assert_eq!(neuron.threshold_for_bias(245.0), None);
    // More bias, lower threshold.
    assert!(neuron.bias_for_threshold(2) > neuron.bias_for_threshold(5));
    assert_eq!(neuron.leak_rate_per_ns(100.0), 0.0);
    assert!(neuron.leak_rate_per_ns(170.0) > neuron.leak_rate_per_ns(160.0));
    assert!(close(
        neuron.leak_rate_per_ns(neuron.bias_for_leak_rate(1.0)),
        1.0
    ));
}

#[test]
fn unknown_field_is_a_syntax_error_on_its_line() {
    let text = edited("delay_ps = 3.5\n", "delay_ps = 3.5\nspeed = 1.0\n");
    let error = Technology::from_toml(&text).unwrap_err();
    assert!(matches!(error, TechError::Syntax { .. }), "{error}");
    assert_eq!(error.line(), Some(line_of(&text, "speed = 1.0")));
    assert!(error.to_string().contains("speed"), "{error}");
    assert_eq!(error.code(), "T0001");
    assert!(!error.help().is_empty());
}

#[test]
fn broken_toml_is_a_syntax_error_with_a_column() {
    let text = edited("bias_voltage_mv = 2.5", "bias_voltage_mv = = 2.5");
    match Technology::from_toml(&text).unwrap_err() {
        TechError::Syntax { line, column, .. } => {
            assert_eq!(line, line_of(&text, "bias_voltage_mv = ="));
            assert!(column > 1);
        }
        other => panic!("{other}"),
    }
}

#[test]
fn missing_cell_is_refused() {
    // An unknown cell is a syntax error.
    let text = edited("[cells.ndro]", "[cells.and2]");
    let error = Technology::from_toml(&text).unwrap_err();
    assert_eq!(
        error.line(),
        Some(line_of(&text, "[cells.and2]")),
        "{error}"
    );

    // Without the NDRO table.
    let start = DEFAULT_TOML.find("[cells.ndro]").expect("present");
    let end = DEFAULT_TOML.find("[cells.dcsfq]").expect("present");
    let text = format!("{}{}", &DEFAULT_TOML[..start], &DEFAULT_TOML[end..]);
    let error = Technology::from_toml(&text).unwrap_err();
    assert!(
        matches!(
            error,
            TechError::MissingCell {
                cell: CellKind::Ndro,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.line().is_some_and(|line| line >= 1));
    assert!(error.help().contains("ndro"));
}

#[test]
fn non_monotone_calibration_names_its_point() {
    let text = edited("[130.5, 0.6971],", "[130.5, 0.2000],");
    let error = Technology::from_toml(&text).unwrap_err();
    match &error {
        TechError::Calibration { table, error, .. } => {
            assert_eq!(*table, "synapse_calibration");
            assert!(matches!(error, CalibrationError::ValueDecreasing { .. }));
        }
        other => panic!("{other}"),
    }
    assert_eq!(error.line(), Some(line_of(&text, "[130.5, 0.2000]")));

    let text = edited("[136.0, 1.0000],", "[136.0, 1.2000],");
    let error = Technology::from_toml(&text).unwrap_err();
    assert_eq!(error.line(), Some(line_of(&text, "[136.0, 1.2000]")));

    let text = edited("[175.0, 2.8650],", "[165.0, 2.8650],");
    let error = Technology::from_toml(&text).unwrap_err();
    assert!(
        matches!(
            &error,
            TechError::Calibration {
                table: "neuron.leak",
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn junction_count_mismatch_is_refused() {
    let text = edited("jjs = 2\n", "jjs = 3\n");
    let error = Technology::from_toml(&text).unwrap_err();
    assert_eq!(
        error,
        TechError::JunctionCount {
            cell: CellKind::Jtl,
            line: line_of(&text, "[cells.jtl]"),
            declared: 3,
            found: 2,
        }
    );
}

#[test]
fn bad_numbers_and_shapes_are_refused() {
    let cases = [
        (
            "delay_ps = 3.5\n",
            "delay_ps = -3.5\n",
            "cells.jtl.delay_ps",
        ),
        ("bias_ua = 350.0", "bias_ua = 0.0", "cells.jtl.bias_ua"),
        (
            "usable_fraction = 0.5",
            "usable_fraction = 1.5",
            "chip.usable_fraction",
        ),
        (
            "bias_resolution_ua = 0.1",
            "bias_resolution_ua = 0.0",
            "bias_resolution_ua",
        ),
        ("setup_ps = 2.0\n", "", "cells.dff.setup_ps"),
        (
            "min_input_separation_ps = 5.2\n",
            "min_input_separation_ps = 5.2\nhold_ps = 1.0\n",
            "cells.jtl.hold_ps",
        ),
        (
            "threshold_bias_max_ua = 240.0",
            "threshold_bias_max_ua = 260.0",
            "neuron.threshold_bias_max_ua",
        ),
        (
            "pins = { inputs = [\"a\"], outputs = [\"q0\", \"q1\"] }",
            "pins = { inputs = [\"a\"], outputs = [\"q0\"] }",
            "cells.split.pins",
        ),
    ];
    for (from, to, field) in cases {
        let error = Technology::from_toml(&edited(from, to)).unwrap_err();
        match &error {
            TechError::Invalid { field: f, .. } => assert_eq!(f, field, "{error}"),
            other => panic!("{field}: {other}"),
        }
    }
}

#[test]
fn subcircuit_ports_must_be_the_pins() {
    let text = edited(".subckt DFF a clk q", ".subckt DFF clk a q");
    let error = Technology::from_toml(&text).unwrap_err();
    assert!(
        matches!(
            error,
            TechError::Subcircuit {
                cell: CellKind::Dff,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(error.line(), Some(line_of(&text, "[cells.dff]")));

    let text = edited("L3 2 q 2p\n.ends", "L3 2 q 2p\n");
    let error = Technology::from_toml(&text).unwrap_err();
    assert!(error.to_string().contains(".ends"), "{error}");
}

#[test]
fn never_panics_on_odd_input() {
    for text in [
        "",
        "name = 1",
        "[cells]\n",
        "\u{feff}",
        "cells = 3",
        &DEFAULT_TOML[..DEFAULT_TOML.len() / 2],
    ] {
        assert!(Technology::from_toml(text).is_err());
    }
}

#[test]
fn load_reads_a_file_and_reports_a_missing_one() {
    let dir = std::env::temp_dir().join(format!("spikec-sfq-tech-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("tech.toml");
    std::fs::write(&path, DEFAULT_TOML).expect("write");
    assert_eq!(Technology::load(&path), Ok(tech()));
    let missing = dir.join("missing.toml");
    let error = Technology::load(&missing).unwrap_err();
    assert!(matches!(error, TechError::Io { .. }), "{error}");
    assert_eq!(error.line(), None);
    std::fs::remove_dir_all(&dir).expect("clean up");
}

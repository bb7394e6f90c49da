//! `--chip` parsing, the technology's limits, display.

use super::super::{BudgetError, ChipBudget};
use crate::tech::ChipLimits;

fn parse(spec: &str) -> Result<ChipBudget, BudgetError> {
    ChipBudget::parse(spec, ChipBudget::UNLIMITED)
}

#[test]
fn parses_the_documented_example() {
    let b = parse("jj=6000,area=25mm2,pins=40,bias=1000mA").unwrap();
    assert_eq!(
        b,
        ChipBudget {
            jjs: Some(6000),
            area_um2: Some(25e6),
            pins: Some(40),
            bias_ua: Some(1e6),
        }
    );
}

#[test]
fn parses_every_unit() {
    let area = |s: &str| parse(s).unwrap().area_um2.unwrap();
    let bias = |s: &str| parse(s).unwrap().bias_ua.unwrap();
    assert_eq!(area("area=1500um2"), 1500.0);
    assert_eq!(area("area=1500µm2"), 1500.0);
    assert_eq!(area("area=2.5mm2"), 2.5e6);
    assert_eq!(area("area = 1e1 mm2"), 1e7);
    assert_eq!(bias("bias=750uA"), 750.0);
    assert_eq!(bias("bias=750µA"), 750.0);
    assert_eq!(bias("bias=1.5mA"), 1500.0);
    assert_eq!(bias("bias=2A"), 2e6);
    assert_eq!(bias("bias=2.5e-1A"), 2.5e5);
    assert_eq!(parse("jjs=12").unwrap().jjs, Some(12));
    assert_eq!(parse(" jj = 12 , pins = 3 ").unwrap().pins, Some(3));
}

#[test]
fn keys_given_override_the_base_and_the_rest_is_kept() {
    let base = ChipBudget {
        jjs: None,
        area_um2: Some(1e7),
        pins: Some(32),
        bias_ua: Some(1e6),
    };
    let b = ChipBudget::parse("pins=40,jj=6000", base).unwrap();
    assert_eq!(b.pins, Some(40));
    assert_eq!(b.jjs, Some(6000));
    assert_eq!(b.area_um2, Some(1e7));
    assert_eq!(b.bias_ua, Some(1e6));
}

#[test]
fn rejects_bad_specifications_with_the_right_error() {
    let code = |s: &str| parse(s).unwrap_err().code();
    assert_eq!(code(""), "C0101");
    assert_eq!(code("jj=1,,pins=2"), "C0101");
    assert_eq!(code("jj"), "C0102");
    assert_eq!(code("luts=5"), "C0103");
    assert_eq!(code("jj=1,jjs=2"), "C0104");
    assert_eq!(code("pins=1,pins=1"), "C0104");
    for bad in [
        "jj=6000.5",
        "jj=many",
        "pins=99999999999",
        "area=mm2",
        "area=infmm2",
        "area=NaNum2",
        "bias=1e999mA",
    ] {
        assert_eq!(code(bad), "C0105", "{bad}");
    }
    assert_eq!(code("area=25"), "C0106");
    assert_eq!(code("bias=100"), "C0106");
    assert_eq!(code("area=25cm2"), "C0107");
    assert_eq!(code("bias=5V"), "C0107");
    assert_eq!(code("area=25MM2"), "C0107");
    for bad in [
        "jj=0",
        "jj=-5",
        "pins=0",
        "area=0mm2",
        "area=-1mm2",
        "bias=-3mA",
    ] {
        assert_eq!(code(bad), "C0108", "{bad}");
    }
}

#[test]
fn messages_name_the_offending_part() {
    let msg = |s: &str| parse(s).unwrap_err().to_string();
    assert!(msg("luts=5").contains("`luts`"));
    assert!(msg("area=25").contains("um2 or mm2"));
    assert!(msg("bias=5V").contains("`V`"));
    assert!(msg("jj=1,jjs=2").contains("twice"));
    assert!(msg("pins=0").contains("positive"));
}

#[test]
fn the_technology_gives_usable_area_pins_and_bias_but_no_junction_limit() {
    let limits = ChipLimits {
        die_width_um: 5000.0,
        die_height_um: 4000.0,
        usable_fraction: 0.5,
        max_signal_pins: 32,
        max_bias_ma: 1000.0,
    };
    let b = ChipBudget::from_limits(&limits);
    assert_eq!(b.jjs, None);
    assert_eq!(b.area_um2, Some(1e7));
    assert_eq!(b.pins, Some(32));
    assert_eq!(b.bias_ua, Some(1e6));
}

#[test]
fn display_reads_back() {
    let b = parse("jj=6000,area=25mm2,pins=40,bias=1000mA").unwrap();
    assert_eq!(b.to_string(), "jj=6000,area=25mm2,pins=40,bias=1000mA");
    assert_eq!(parse(&b.to_string()).unwrap(), b);
    assert_eq!(ChipBudget::UNLIMITED.to_string(), "unlimited");
    assert_eq!(parse("pins=7").unwrap().to_string(), "pins=7");
}

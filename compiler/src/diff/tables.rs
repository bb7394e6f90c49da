//! Routing tables chip by chip, as routers read them.
//!
//! A SpiNNaker table is first-match ordered, and compressed tables overlap,
//! so two tables with the same entries in another order can route
//! differently, and two tables with different entries the same. Tables are
//! therefore compared by what they do: they are equivalent when every key
//! is routed the same — by the same first-matching route, or by default
//! routing on both — which [`check_equivalent`] proves symbolically, in
//! both directions (every key A routes, B routes the same, and every key B
//! routes, A does). For tables that are not, the first key routed
//! differently is reported with both routes.
//!
//! Tables come from `routing_tables/X_Y.bin`, or from `routing_tables.txt`
//! on a side that has no binary tables. A chip with no table routes like an
//! empty one.

use std::collections::BTreeMap;

use super::files::BuildDir;
use super::placements::hex;
use super::report::malformed;
use super::{DiffError, Difference, Kind};
use spikec_spinnaker::geometry::{Direction, KeyMask, Route, RoutingEntry};
use spikec_spinnaker::table::{check_equivalent, parse_binary};

/// The text file.
pub const TEXT_FILE: &str = "routing_tables.txt";

/// The chip of `routing_tables/X_Y.bin`.
pub fn chip_of_path(rel: &str) -> Option<(u16, u16)> {
    let name = rel.strip_prefix("routing_tables/")?.strip_suffix(".bin")?;
    let (x, y) = name.split_once('_')?;
    Some((x.parse().ok()?, y.parse().ok()?))
}

/// A route as `routing_tables.txt` writes it (see `Route`'s `Display`).
pub fn route_text(route: Route) -> String {
    route.to_string()
}

fn parse_route(tokens: &[&str]) -> Option<Route> {
    let mut r = Route::EMPTY;
    for t in tokens {
        let part = match *t {
            "drop" if tokens.len() == 1 => Route::EMPTY,
            "E" => Route::link(Direction::East),
            "NE" => Route::link(Direction::NorthEast),
            "N" => Route::link(Direction::North),
            "W" => Route::link(Direction::West),
            "SW" => Route::link(Direction::SouthWest),
            "S" => Route::link(Direction::South),
            _ => {
                let p: u8 = t.strip_prefix('p')?.parse().ok()?;
                if p >= 192 {
                    return None;
                }
                Route::core(p)
            }
        };
        r = r.union(part);
    }
    Some(r)
}

/// Parses `routing_tables.txt`: per chip a header `chip (x, y): N entries`
/// and N lines `0xKEY 0xMASK -> ROUTE`.
pub fn parse_text(text: &str) -> Result<BTreeMap<(u16, u16), Vec<RoutingEntry>>, String> {
    let mut tables: BTreeMap<(u16, u16), Vec<RoutingEntry>> = BTreeMap::new();
    let mut current: Option<((u16, u16), usize)> = None;
    let check = |c: Option<((u16, u16), usize)>, t: &BTreeMap<_, Vec<RoutingEntry>>| match c {
        Some((chip, n)) if t.get(&chip).map_or(0, Vec::len) != n => Err(format!(
            "chip ({}, {}): the header says {n} entries, but {} follow",
            chip.0,
            chip.1,
            t.get(&chip).map_or(0, Vec::len)
        )),
        _ => Ok(()),
    };
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = |what: &str| format!("line {}: {what}: `{line}`", i + 1);
        if let Some(rest) = line.strip_prefix("chip (") {
            check(current, &tables)?;
            let parsed = rest.split_once("):").and_then(|(xy, n)| {
                let (x, y) = xy.split_once(',')?;
                let n = n.split_whitespace().next()?.parse().ok()?;
                Some(((x.trim().parse().ok()?, y.trim().parse().ok()?), n))
            });
            let (chip, n) = parsed.ok_or_else(|| bad("bad chip header"))?;
            if tables.insert(chip, Vec::new()).is_some() {
                return Err(bad("a second table for this chip"));
            }
            current = Some((chip, n));
            continue;
        }
        let Some((chip, _)) = current else {
            return Err(bad("an entry before any chip header"));
        };
        let t: Vec<&str> = line.split_whitespace().collect();
        let entry = match t[..] {
            [key, mask, "->", ref route @ ..] if !route.is_empty() => Some(RoutingEntry {
                key_mask: KeyMask {
                    key: hex(key).ok_or_else(|| bad("bad key"))?,
                    mask: hex(mask).ok_or_else(|| bad("bad mask"))?,
                },
                route: parse_route(route).ok_or_else(|| bad("bad route"))?,
            }),
            _ => None,
        };
        let entry = entry.ok_or_else(|| bad("expected `0xKEY 0xMASK -> ROUTE`"))?;
        tables.entry(chip).or_default().push(entry);
    }
    check(current, &tables)?;
    Ok(tables)
}

/// A chip's table as read: its file, and its entries or why they cannot
/// be read.
type Loaded = (String, Result<Vec<RoutingEntry>, String>);

/// One side's tables, per chip.
struct Side {
    tables: BTreeMap<(u16, u16), Loaded>,
}

fn load(dir: &BuildDir, out: &mut Vec<Difference>, is_a: bool) -> Result<Option<Side>, DiffError> {
    let mut tables = BTreeMap::new();
    let bins: Vec<&str> = dir
        .under("routing_tables/")
        .filter(|f| chip_of_path(f).is_some())
        .collect();
    if !bins.is_empty() {
        for rel in bins {
            let Some(chip) = chip_of_path(rel) else {
                continue;
            };
            let bytes = dir.read(rel)?;
            let entries = parse_binary(&bytes).map_err(|e| e.to_string());
            tables.insert(chip, (rel.to_string(), entries));
        }
        return Ok(Some(Side { tables }));
    }
    let Some(bytes) = dir.read_opt(TEXT_FILE)? else {
        return Ok(Some(Side { tables }));
    };
    let parsed = std::str::from_utf8(&bytes)
        .map_err(|_| "not UTF-8 text".to_string())
        .and_then(parse_text);
    match parsed {
        Ok(t) => {
            for (chip, entries) in t {
                tables.insert(chip, (TEXT_FILE.to_string(), Ok(entries)));
            }
            Ok(Some(Side { tables }))
        }
        Err(msg) => {
            let (a, b) = if is_a {
                (Some(msg), None)
            } else {
                (None, Some(msg))
            };
            out.push(malformed(TEXT_FILE, a, b));
            Ok(None)
        }
    }
}

pub(crate) fn compare_dirs(
    a: &BuildDir,
    b: &BuildDir,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let (Some(sa), Some(sb)) = (load(a, out, true)?, load(b, out, false)?) else {
        return Ok(());
    };
    let mut chips: Vec<(u16, u16)> = sa.tables.keys().chain(sb.tables.keys()).copied().collect();
    chips.sort_unstable();
    chips.dedup();
    let none = (String::new(), Ok(Vec::new()));
    for chip in chips {
        let (fa, ta) = sa.tables.get(&chip).unwrap_or(&none);
        let (fb, tb) = sb.tables.get(&chip).unwrap_or(&none);
        let file = if fa.is_empty() { fb } else { fa };
        let file_b = (!fb.is_empty() && fb != file).then(|| fb.clone());
        let at = format!("chip ({}, {})", chip.0, chip.1);
        match (ta, tb) {
            (Ok(x), Ok(y)) => {
                let mut diffs = Vec::new();
                let present = (sa.tables.contains_key(&chip), sb.tables.contains_key(&chip));
                compare_tables(file, &at, x, y, present, &mut diffs);
                out.extend(diffs.into_iter().map(|d| d.with_file_b(file_b.clone())));
            }
            (x, y) if x != y => {
                let err = |r: &Result<Vec<RoutingEntry>, String>| r.as_ref().err().cloned();
                out.push(malformed(file, err(x), err(y)).with_file_b(file_b));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Compares one chip's tables, `present` telling which sides have one at
/// all. `at` names the chip (`chip (0, 1)`).
pub fn compare_tables(
    file: &str,
    at: &str,
    a: &[RoutingEntry],
    b: &[RoutingEntry],
    present: (bool, bool),
    out: &mut Vec<Difference>,
) {
    if a == b {
        return;
    }
    let entries = |n: usize| format!("{n} entr{}", if n == 1 { "y" } else { "ies" });
    match present {
        (true, false) if !a.is_empty() => {
            out.push(Difference::new(
                file,
                at,
                Kind::Removed,
                entries(a.len()),
                serde_json::Value::Null,
            ));
            return;
        }
        (false, true) if !b.is_empty() => {
            out.push(Difference::new(
                file,
                at,
                Kind::Added,
                serde_json::Value::Null,
                entries(b.len()),
            ));
            return;
        }
        _ => {}
    }
    let mismatch = first_difference(a, b);
    if a.len() != b.len() {
        let mut d = Difference::new(file, at, Kind::EntryCount, a.len(), b.len());
        let delta = b.len() as i64 - a.len() as i64;
        d = d.with_detail(match mismatch {
            None => format!("{delta:+}; routes every key the same"),
            Some(_) => format!("{delta:+}"),
        });
        out.push(d);
    }
    if let Some((key, ra, rb)) = mismatch {
        let only =
            |x: &[RoutingEntry], y: &[RoutingEntry]| x.iter().filter(|e| !y.contains(e)).count();
        let entry = |t: &[RoutingEntry]| match t.iter().position(|e| e.key_mask.matches(key)) {
            Some(i) => format!(
                "entry #{i} 0x{:08x}/0x{:08x}",
                t[i].key_mask.key, t[i].key_mask.mask
            ),
            None => "no entry".to_string(),
        };
        let route = |r: Option<Route>| r.map_or("default routing".to_string(), route_text);
        out.push(
            Difference::new(
                file,
                format!("{at} key 0x{key:08x}"),
                Kind::RoutedDifferently,
                route(ra),
                route(rb),
            )
            .with_detail(format!(
                "first key routed differently; A: {}, B: {}; {} only in A, {} only in B",
                entry(a),
                entry(b),
                entries(only(a, b)),
                only(b, a)
            )),
        );
    }
}

/// The first key the two tables route differently, with A's and B's
/// route (`None`: default routing); `None` if they are equivalent.
pub fn first_difference(
    a: &[RoutingEntry],
    b: &[RoutingEntry],
) -> Option<(u32, Option<Route>, Option<Route>)> {
    if a == b {
        return None;
    }
    if let Err(m) = check_equivalent(a, &[], b) {
        return Some((m.key, Some(m.expected), m.found));
    }
    if let Err(m) = check_equivalent(b, &[], a) {
        return Some((m.key, m.found, Some(m.expected)));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(key: u32, mask: u32, route: Route) -> RoutingEntry {
        RoutingEntry {
            key_mask: KeyMask { key, mask },
            route,
        }
    }

    #[test]
    fn order_matters_only_where_entries_overlap() {
        let n = Route::link(Direction::North);
        let s = Route::core(3);
        let full = 0xffff_ffff;
        // Disjoint: any order routes the same.
        let a = [e(1, full, n), e(2, full, s)];
        let b = [e(2, full, s), e(1, full, n)];
        assert_eq!(first_difference(&a, &b), None);
        // Overlapping: the specific entry must come first.
        let a = [e(0b10, full, s), e(0, !0b11, n)];
        let b = [e(0, !0b11, n), e(0b10, full, s)];
        assert_eq!(first_difference(&a, &b), Some((0b10, Some(s), Some(n))));
        // A key only B routes.
        let a = [e(1, full, n)];
        let b = [e(1, full, n), e(4, full, s)];
        assert_eq!(first_difference(&a, &b), Some((4, None, Some(s))));
    }

    #[test]
    fn text_tables_round_trip() {
        let text = "chip (0, 0): 2 entries\n0x00001200 0xfffffe00 -> p3 p4\n\
                    0x00000000 0xffffe000 -> E N p17\n\nchip (1, 0): 1 entry\n\
                    0x00000000 0x00000000 -> drop\n";
        let t = parse_text(text).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(route_text(t[&(0, 0)][1].route), "E N p17");
        assert_eq!(route_text(t[&(1, 0)][0].route), "drop");
        assert!(parse_text("chip (0, 0): 2 entries\n0x0 0x0 -> E\n").is_err());
        assert!(parse_text("0x0 0x0 -> E\n").is_err());
        assert_eq!(chip_of_path("routing_tables/3_12.bin"), Some((3, 12)));
        assert_eq!(chip_of_path("routing_tables/x.bin"), None);
    }
}

//! Machine files: a preset plus the faults of one real machine.
//!
//! ```toml
//! preset = "spinn5x3"
//! dead_chips = [[3, 4]]
//! dead_cores = [{ chip = [0, 0], core = 5 }]
//! dead_links = [{ chip = [1, 1], link = "north-east" }, { chip = [2, 0], link = 3 }]
//! routing_entries = 512   # optional: a smaller router, for what-if studies
//! ```
//!
//! This is the information spinn_machine takes as `down_chips`,
//! `down_cores` and `down_links`. Links are SpiNNaker's numbers 0 to 5 or
//! their direction names; a dead link is dead from both ends, whichever end
//! the file names. Cores and links are applied before chips, so a file may
//! list faults on a chip it also lists as dead.
//!
//! Errors carry the line of the offending entry: TOML and shape errors
//! come with the parser's position, and entries that name chips or cores
//! the preset lacks are located through the spans the parser records.

use super::{Machine, MachineError};
use crate::geometry::{ChipCoord, Direction};
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MachineFile {
    preset: Spanned<String>,
    #[serde(default)]
    dead_chips: Vec<Spanned<ChipXy>>,
    #[serde(default)]
    dead_cores: Vec<Spanned<DeadCore>>,
    #[serde(default)]
    dead_links: Vec<Spanned<DeadLink>>,
    /// Fewer routing entries than the preset's (reserved system entries,
    /// or a what-if study); never more than the router has.
    routing_entries: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeadCore {
    chip: ChipXy,
    core: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeadLink {
    chip: ChipXy,
    /// A number or a name, so it is read as any value and checked here.
    link: toml::Value,
}

impl Machine {
    /// Reads a machine file.
    pub fn load(path: &Path) -> Result<Machine, MachineError> {
        let text = std::fs::read_to_string(path).map_err(|e| MachineError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Machine::from_toml(&text)
    }

    /// Parses the text of a machine file.
    pub fn from_toml(text: &str) -> Result<Machine, MachineError> {
        let file: MachineFile = toml::from_str(text).map_err(|e| {
            let (line, column) = line_column(text, e.span().map_or(0, |s| s.start));
            MachineError::Syntax {
                line,
                column,
                message: e.message().trim_end().to_string(),
            }
        })?;
        let at = |span: std::ops::Range<usize>, field: String| {
            let line = line_column(text, span.start).0;
            move |error| MachineError::Entry {
                line,
                field,
                error: Box::new(error),
            }
        };

        let mut machine = Machine::preset(file.preset.get_ref())
            .map_err(at(file.preset.span(), "preset".into()))?;
        for (i, entry) in file.dead_cores.iter().enumerate() {
            let DeadCore { chip, core } = entry.get_ref();
            machine
                .mark_core_dead(coord(*chip), *core)
                .map_err(at(entry.span(), format!("dead_cores[{i}]")))?;
        }
        for (i, entry) in file.dead_links.iter().enumerate() {
            let DeadLink { chip, link } = entry.get_ref();
            parse_link(link)
                .and_then(|direction| machine.mark_link_dead(coord(*chip), direction))
                .map_err(at(entry.span(), format!("dead_links[{i}]")))?;
        }
        for (i, entry) in file.dead_chips.iter().enumerate() {
            machine
                .mark_chip_dead(coord(*entry.get_ref()))
                .map_err(at(entry.span(), format!("dead_chips[{i}]")))?;
        }
        if let Some(entries) = &file.routing_entries {
            machine
                .limit_routing_entries(*entries.get_ref())
                .map_err(at(entries.span(), "routing_entries".into()))?;
        }
        Ok(machine)
    }
}

fn coord(ChipXy(x, y): ChipXy) -> ChipCoord {
    ChipCoord::new(x, y)
}

/// A chip written `[x, y]`. Serde's own `[u16; 2]` would silently drop a
/// third number, so the length is checked here.
#[derive(Clone, Copy)]
struct ChipXy(u16, u16);

impl<'de> Deserialize<'de> for ChipXy {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ChipXy;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a chip as [x, y]")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ChipXy, A::Error> {
                use serde::de::Error;
                let x = seq
                    .next_element()?
                    .ok_or_else(|| A::Error::invalid_length(0, &self))?;
                let y = seq
                    .next_element()?
                    .ok_or_else(|| A::Error::invalid_length(1, &self))?;
                let mut n = 2;
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    n += 1;
                }
                if n > 2 {
                    return Err(A::Error::invalid_length(n, &self));
                }
                Ok(ChipXy(x, y))
            }
        }
        deserializer.deserialize_seq(Visitor)
    }
}

/// A link as SpiNNaker numbers it, or by its direction: `east`, `e`,
/// `north-east`, `north_east`, `northeast`, `ne`, ... in any case.
fn parse_link(value: &toml::Value) -> Result<Direction, MachineError> {
    let unknown = || MachineError::UnknownLink {
        link: value.to_string(),
    };
    match value {
        toml::Value::Integer(n) => usize::try_from(*n)
            .ok()
            .and_then(|n| Direction::ALL.get(n).copied())
            .ok_or_else(unknown),
        toml::Value::String(name) => {
            let key: String = name
                .chars()
                .filter(|c| !matches!(c, '-' | '_' | ' '))
                .flat_map(char::to_lowercase)
                .collect();
            match key.as_str() {
                "east" | "e" => Ok(Direction::East),
                "northeast" | "ne" => Ok(Direction::NorthEast),
                "north" | "n" => Ok(Direction::North),
                "west" | "w" => Ok(Direction::West),
                "southwest" | "sw" => Ok(Direction::SouthWest),
                "south" | "s" => Ok(Direction::South),
                _ => Err(unknown()),
            }
        }
        _ => Err(unknown()),
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAULTY: &str = r#"
# a three-board machine with some faults
preset = "spinn5x3"
dead_chips = [[3, 4]]
dead_cores = [{ chip = [0, 0], core = 5 }, { chip = [1, 0], core = 0 }]
dead_links = [
    { chip = [1, 1], link = "north-east" },
    { chip = [2, 0], link = 3 },
    { chip = [11, 11], link = "NE" },
]
"#;

    #[test]
    fn faults_are_applied() {
        let m = Machine::from_toml(FAULTY).unwrap();
        assert_eq!(m.name(), "spinn5x3");
        assert!(!m.has_chip(ChipCoord::new(3, 4)));
        assert_eq!(m.n_chips(), 143);
        // (0, 0) is an Ethernet chip: 3 reserved of 17 live cores.
        let eth = m.app_cores(ChipCoord::new(0, 0));
        assert_eq!(eth.len(), 14);
        assert!(!eth.contains(&5));
        // Core 0 of (1, 0) died: cores 1 and 2 take the monitors' place.
        assert_eq!(
            m.app_cores(ChipCoord::new(1, 0)),
            (3..18).collect::<Vec<u8>>()
        );
        // Dead links are dead from both ends, across wrap-around too.
        assert!(!m.link_usable(ChipCoord::new(1, 1), Direction::NorthEast));
        assert!(!m.link_usable(ChipCoord::new(2, 2), Direction::SouthWest));
        assert!(!m.link_usable(ChipCoord::new(2, 0), Direction::West));
        assert!(!m.link_usable(ChipCoord::new(1, 0), Direction::East));
        assert!(!m.link_usable(ChipCoord::new(0, 0), Direction::SouthWest));
        assert!(m.link_usable(ChipCoord::new(1, 1), Direction::North));
        // Neighbours of the dead chip cannot reach it.
        assert!(!m.link_usable(ChipCoord::new(3, 3), Direction::North));
    }

    #[test]
    fn a_preset_alone_is_a_machine_file() {
        let m = Machine::from_toml("preset = \"spinn5\"\n").unwrap();
        assert_eq!(m, Machine::spinn5());
    }

    fn syntax_line(text: &str) -> (usize, String) {
        match Machine::from_toml(text) {
            Err(MachineError::Syntax { line, message, .. }) => (line, message),
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn malformed_files_report_the_line() {
        let (line, _) = syntax_line("preset = \"spinn5\"\ndead_chips = [[1, 2]\n");
        assert!(line >= 2, "line {line}");
        let (line, message) =
            syntax_line("preset = \"spinn5\"\n\ndead_cores = [{ chip = [0, 0], core = -1 }]\n");
        assert_eq!(line, 3);
        assert!(message.contains("-1"), "{message}");
        let (line, message) = syntax_line("preset = \"spinn5\"\ndead_chip = [[1, 2]]\n");
        assert_eq!(line, 2);
        assert!(message.contains("dead_chip"), "{message}");
        let (_, message) = syntax_line("dead_chips = []\n");
        assert!(message.contains("preset"), "{message}");
        let (line, _) = syntax_line("preset = \"spinn5\"\ndead_chips = [[1, 2, 3]]\n");
        assert_eq!(line, 2);
        let (line, _) = syntax_line("preset = \"spinn5\"\ndead_links = [{ chip = [0, 0] }]\n");
        assert_eq!(line, 2);
    }

    fn entry_error(text: &str) -> (usize, String, MachineError) {
        match Machine::from_toml(text) {
            Err(MachineError::Entry { line, field, error }) => (line, field, *error),
            other => panic!("expected an entry error, got {other:?}"),
        }
    }

    #[test]
    fn entries_naming_what_the_machine_lacks_report_line_and_field() {
        let (line, field, error) = entry_error("preset = \"spinn6\"\n");
        assert_eq!((line, field.as_str()), (1, "preset"));
        assert_eq!(
            error,
            MachineError::UnknownPreset {
                name: "spinn6".into()
            }
        );

        let text = "preset = \"spinn5\"\ndead_chips = [\n  [0, 0],\n  [7, 0],\n]\n";
        let (line, field, error) = entry_error(text);
        assert_eq!((line, field.as_str()), (4, "dead_chips[1]"));
        assert_eq!(
            error,
            MachineError::NoSuchChip {
                chip: ChipCoord::new(7, 0)
            }
        );

        let text = "preset = \"spinn5\"\ndead_cores = [{ chip = [0, 0], core = 18 }]\n";
        let (line, field, error) = entry_error(text);
        assert_eq!((line, field.as_str()), (2, "dead_cores[0]"));
        assert_eq!(
            error,
            MachineError::NoSuchCore {
                chip: ChipCoord::new(0, 0),
                core: 18,
                cores: 18
            }
        );

        for link in ["6", "-1", "\"up\"", "1.5"] {
            let text = format!(
                "preset = \"spinn5\"\n\ndead_links = [{{ chip = [0, 0], link = {link} }}]\n"
            );
            let (line, field, error) = entry_error(&text);
            assert_eq!((line, field.as_str()), (3, "dead_links[0]"), "{link}");
            assert!(
                matches!(error, MachineError::UnknownLink { .. }),
                "{link}: {error:?}"
            );
        }
    }

    #[test]
    fn errors_render_with_location_and_help() {
        let err = Machine::from_toml("preset = \"spinn5\"\ndead_chips = [[9, 9]]\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line 2") && text.contains("(9, 9)"), "{text}");
        assert!(err.help().is_some());
    }

    #[test]
    fn link_names() {
        let name = |s: &str| parse_link(&toml::Value::String(s.into()));
        assert_eq!(name("East"), Ok(Direction::East));
        assert_eq!(name("north_east"), Ok(Direction::NorthEast));
        assert_eq!(name("SW"), Ok(Direction::SouthWest));
        assert_eq!(name("south"), Ok(Direction::South));
        for (n, d) in Direction::ALL.into_iter().enumerate() {
            assert_eq!(parse_link(&toml::Value::Integer(n as i64)), Ok(d));
        }
    }

    #[test]
    fn unreadable_file_is_an_error() {
        let err = Machine::load(Path::new("/nonexistent/machine.toml")).unwrap_err();
        assert!(matches!(err, MachineError::Io { .. }));
    }
}

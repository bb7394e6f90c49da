//! Source positions. The IR does no I/O, so a span names its file by a
//! number that the front end's source map resolves.

/// A byte range in a source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// Index of the file in the front end's source map.
    pub file: u32,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// The span of entities that have no source (built by code).
    pub const DUMMY: Span = Span {
        file: u32::MAX,
        start: 0,
        end: 0,
    };

    /// A span in `file` covering `start..end`.
    pub fn new(file: u32, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// Whether this span points at real source text.
    pub fn is_dummy(self) -> bool {
        self.file == u32::MAX
    }

    /// The smallest span covering both (same file assumed).
    pub fn join(self, other: Span) -> Span {
        if self.is_dummy() {
            return other;
        }
        if other.is_dummy() || other.file != self.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

//! The files a compilation read, by the numbers that spans carry.

use codespan_reporting::files::{Error, Files, SimpleFile};
use std::ops::Range;

/// Every source file of one compilation (the network, its imports, the
/// embedded standard library), addressed by `Span::file`.
#[derive(Default)]
pub struct SourceMap {
    files: Vec<SimpleFile<String, String>>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> u32 {
        self.files.push(SimpleFile::new(name.into(), text.into()));
        (self.files.len() - 1) as u32
    }

    /// The name of a file.
    pub fn name(&self, id: u32) -> Option<&str> {
        self.files.get(id as usize).map(|f| f.name().as_str())
    }

    /// The text of a file.
    pub fn text(&self, id: u32) -> Option<&str> {
        self.files.get(id as usize).map(|f| f.source().as_str())
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, id: u32, offset: u32) -> Option<(usize, usize)> {
        let f = self.files.get(id as usize)?;
        let line = f.line_index((), offset as usize).ok()?;
        let col = f.column_number((), line, offset as usize).ok()?;
        Some((line + 1, col))
    }
}

impl<'a> Files<'a> for SourceMap {
    type FileId = u32;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: u32) -> Result<&'a str, Error> {
        self.files
            .get(id as usize)
            .map(|f| f.name().as_str())
            .ok_or(Error::FileMissing)
    }

    fn source(&'a self, id: u32) -> Result<&'a str, Error> {
        self.files
            .get(id as usize)
            .map(|f| f.source().as_str())
            .ok_or(Error::FileMissing)
    }

    fn line_index(&'a self, id: u32, byte_index: usize) -> Result<usize, Error> {
        self.files
            .get(id as usize)
            .ok_or(Error::FileMissing)?
            .line_index((), byte_index)
    }

    fn line_range(&'a self, id: u32, line_index: usize) -> Result<Range<usize>, Error> {
        self.files
            .get(id as usize)
            .ok_or(Error::FileMissing)?
            .line_range((), line_index)
    }
}

//! Loading: the main file, its imports (transitively) and the embedded
//! standard library, each parsed once and registered in the source map.

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, SourceMap};
use crate::front::ast::{File, Item, NetItem};
use crate::front::parse::parse;
use spikec_ir::Span;

/// The standard library, written in the language itself.
pub const STDLIB: &[(&str, &str)] = &[
    ("<stdlib>/pynn.snn", include_str!("../../stdlib/pynn.snn")),
    ("<stdlib>/nest.snn", include_str!("../../stdlib/nest.snn")),
];

/// One parsed file.
pub struct Loaded {
    /// Its id in the source map.
    pub id: u32,
    /// Its AST.
    pub ast: File,
    /// Whether it is part of the embedded standard library.
    pub stdlib: bool,
}

/// Everything a compilation reads.
pub struct Program {
    /// Source texts, for diagnostics.
    pub sources: SourceMap,
    /// Parsed files: the standard library first, then the main file's
    /// imports in dependency order, then the main file last.
    pub files: Vec<Loaded>,
    /// Canonical paths of the files loaded from disk, so a file imported
    /// twice (a diamond) is read once.
    loaded: std::collections::HashSet<PathBuf>,
}

impl Program {
    /// The main file (the one given on the command line).
    pub fn main(&self) -> Option<&Loaded> {
        self.files.last().filter(|f| !f.stdlib)
    }
}

/// Loads `text` as the main file `name` (a path on disk, for resolving
/// imports and CSV files). Parse errors are returned as diagnostics; the
/// program is returned in any case so that diagnostics can be rendered.
pub fn load(name: &str, text: String) -> (Program, Vec<Diagnostic>) {
    let mut prog = Program {
        sources: SourceMap::new(),
        files: Vec::new(),
        loaded: Default::default(),
    };
    let mut diags = Vec::new();
    for (n, t) in STDLIB {
        let id = prog.sources.add(*n, *t);
        match parse(id, t) {
            Ok(ast) => prog.files.push(Loaded {
                id,
                ast,
                stdlib: true,
            }),
            Err(d) => diags.push(d),
        }
    }
    let mut stack = Vec::new();
    load_file(
        &mut prog,
        &mut diags,
        PathBuf::from(name),
        Some(text),
        &mut stack,
        Span::DUMMY,
    );
    (prog, diags)
}

fn load_file(
    prog: &mut Program,
    diags: &mut Vec<Diagnostic>,
    path: PathBuf,
    text: Option<String>,
    stack: &mut Vec<PathBuf>,
    import_span: Span,
) {
    let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
    if let Some(pos) = stack.iter().position(|p| *p == key) {
        let chain: Vec<String> = stack[pos..]
            .iter()
            .chain([&key])
            .map(|p| display(p))
            .collect();
        diags.push(
            Diagnostic::error("E0005", format!("import cycle: {}", chain.join(" -> ")))
                .primary(import_span, "this import closes the cycle")
                .help("move the shared models into a third file that both import"),
        );
        return;
    }
    if !prog.loaded.insert(key.clone()) {
        // Already loaded through another import: its models are shared.
        return;
    }
    let name = path.to_string_lossy().into_owned();
    let text = match text {
        Some(t) => t,
        None => match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                diags.push(
                    Diagnostic::error("E0004", format!("cannot read `{name}`: {e}"))
                        .primary(import_span, "imported here")
                        .help("import paths are relative to the file that imports them"),
                );
                return;
            }
        },
    };
    let id = prog.sources.add(name, text);
    let ast = match parse(id, prog.sources.text(id).unwrap_or("")) {
        Ok(a) => a,
        Err(d) => {
            diags.push(d);
            return;
        }
    };
    stack.push(key);
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut imports = Vec::new();
    for item in &ast.items {
        match item {
            Item::Import(i) => imports.push(i.clone()),
            Item::Network(n) => {
                for ni in &n.items {
                    if let NetItem::Item(Item::Import(i)) = ni {
                        imports.push(i.clone());
                    }
                }
            }
            _ => {}
        }
    }
    for imp in imports {
        load_file(prog, diags, dir.join(&imp.path), None, stack, imp.span);
    }
    stack.pop();
    prog.files.push(Loaded {
        id,
        ast,
        stdlib: false,
    });
}

fn display(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.to_string_lossy().into_owned())
}

/// The directory of a source file, for resolving relative paths in it.
pub fn dir_of(sources: &SourceMap, file: u32) -> PathBuf {
    sources
        .name(file)
        .filter(|n| !n.starts_with('<'))
        .and_then(|n| Path::new(n).parent().map(Path::to_path_buf))
        .unwrap_or_default()
}

//! Finding test manifests from the paths on the command line.
//!
//! Takes paths as the user gave them and gives the manifests to run, in
//! a stable order (command-line order, then sorted within a directory),
//! each once, with the network a `.snn` argument selected. A directory is
//! searched recursively for `*.test.toml` and `spikec-tests.toml`, skipping
//! hidden directories, `target/` and golden directories; symbolic links to
//! directories are not followed, so the walk always ends.

use std::path::{Component, Path, PathBuf};

use super::manifest::{is_manifest, DIRECTORY_MANIFEST, GOLDEN_SUFFIX, MANIFEST_SUFFIX};

/// A manifest to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The manifest, as a tidy path (no `.` components).
    pub manifest: PathBuf,
    /// When a `.snn` file was named: only cases of this network run.
    pub only_file: Option<PathBuf>,
}

/// Why the paths name no tests.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// The path does not exist.
    #[error("`{}` does not exist", .0.display())]
    NotFound(PathBuf),
    /// A file that is neither a manifest nor a network.
    #[error("`{}` is not a test manifest (NAME{MANIFEST_SUFFIX} or {DIRECTORY_MANIFEST}), a .snn file or a directory", .0.display())]
    NotAManifest(PathBuf),
    /// A network with no manifest naming it.
    #[error("`{}` has no test manifest: neither `{}` nor a {DIRECTORY_MANIFEST} beside it", .network.display(), .expected.display())]
    NoManifestFor {
        /// The network.
        network: PathBuf,
        /// The manifest it could have.
        expected: PathBuf,
    },
    /// A directory that cannot be listed.
    #[error("cannot read `{}`: {source}", .path.display())]
    Read {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl DiscoverError {
    /// What to do about it.
    pub fn help(&self) -> String {
        match self {
            DiscoverError::NoManifestFor { expected, .. } => format!(
                "put a network under test with a manifest of a line or two, e.g. `{}` holding \
                 `duration = \"100 ms\"`, then run `spikec test {} --bless`",
                expected.display(),
                expected.display()
            ),
            _ => "pass manifests, networks with a manifest, or directories to search".into(),
        }
    }
}

/// `p` without `.` components (`./a/./b` is `a/b`); `.` when nothing is
/// left.
pub fn tidy(p: &Path) -> PathBuf {
    let out: PathBuf = p
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// The manifests named by `paths` (the working directory when empty).
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Found>, DiscoverError> {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut found: Vec<Found> = Vec::new();
    let push = |f: Found, found: &mut Vec<Found>| {
        if let Some(prev) = found
            .iter_mut()
            .find(|g| same_file(&g.manifest, &f.manifest))
        {
            // A manifest named whole and through one of its networks runs
            // whole.
            if prev.only_file.is_some() && f.only_file.as_deref() != prev.only_file.as_deref() {
                prev.only_file = None;
            }
        } else {
            found.push(f);
        }
    };
    for p in paths {
        let p = tidy(p);
        if p.is_dir() {
            let mut manifests = Vec::new();
            walk(&p, &mut manifests)?;
            for m in manifests {
                push(
                    Found {
                        manifest: m,
                        only_file: None,
                    },
                    &mut found,
                );
            }
        } else if p.is_file() && is_manifest(&p) {
            push(
                Found {
                    manifest: p,
                    only_file: None,
                },
                &mut found,
            );
        } else if p.is_file() && p.extension().is_some_and(|e| e == "snn") {
            let own = p.with_extension("test.toml");
            let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
            let shared = tidy(&dir.join(DIRECTORY_MANIFEST));
            let mut any = false;
            for m in [own.clone(), shared] {
                if m.is_file() {
                    any = true;
                    push(
                        Found {
                            manifest: m,
                            only_file: Some(p.clone()),
                        },
                        &mut found,
                    );
                }
            }
            if !any {
                return Err(DiscoverError::NoManifestFor {
                    network: p,
                    expected: own,
                });
            }
        } else if p.exists() {
            return Err(DiscoverError::NotAManifest(p));
        } else {
            return Err(DiscoverError::NotFound(p));
        }
    }
    Ok(found)
}

/// Whether two paths name the same file (by canonical path, else by text).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), DiscoverError> {
    let read = |source| DiscoverError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<(String, PathBuf, bool)> = Vec::new();
    for e in std::fs::read_dir(dir).map_err(read)? {
        let e = e.map_err(read)?;
        let name = e.file_name().to_string_lossy().into_owned();
        let is_dir = e.file_type().map_err(read)?.is_dir();
        entries.push((name, e.path(), is_dir));
    }
    entries.sort();
    // Files of a directory before its subdirectories.
    for (name, path, is_dir) in &entries {
        let named = name == DIRECTORY_MANIFEST || name.ends_with(MANIFEST_SUFFIX);
        if !is_dir && named && is_manifest(path) && path.is_file() {
            out.push(tidy(path));
        }
    }
    for (name, path, is_dir) in &entries {
        let skip = name.starts_with('.') || name == "target" || name.ends_with(GOLDEN_SUFFIX);
        if *is_dir && !skip {
            walk(path, out)?;
        }
    }
    Ok(())
}

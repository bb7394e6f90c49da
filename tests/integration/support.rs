//! Helpers shared by the test modules.

use std::path::{Path, PathBuf};

use spikec::diag::{render_human, ColorChoice};
use spikec::driver::{compile_source, Compilation, Override};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `.snn` files directly in `dir` (relative to the root), sorted.
pub fn snn_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .expect("directory exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "snn"))
        .collect();
    v.sort();
    v
}

/// Compiles a file given by path relative to the root, so that the names in
/// rendered diagnostics are stable across machines.
pub fn compile_rel(rel: &Path, overrides: &[Override]) -> Compilation {
    let text = std::fs::read_to_string(root().join(rel)).expect("readable file");
    // Resolve imports and CSV files relative to the real location, but show
    // the relative name.
    let _guard = CwdGuard::enter(&root());
    compile_source(&rel.to_string_lossy(), text, overrides)
}

/// Renders a compilation's diagnostics without colour.
pub fn rendered(c: &Compilation) -> String {
    render_human(&c.sources, &c.diagnostics, ColorChoice::Never)
}

/// Relative path of `p` under the root.
pub fn rel(p: &Path) -> PathBuf {
    p.strip_prefix(root()).unwrap_or(p).to_path_buf()
}

static CWD_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Changes the working directory for the guard's lifetime; tests that read
/// relative paths hold it so they do not race.
pub struct CwdGuard {
    prev: PathBuf,
    _lock: std::sync::MutexGuard<'static, ()>,
}

impl CwdGuard {
    /// Enters `dir`.
    pub fn enter(dir: &Path) -> CwdGuard {
        let lock = CWD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let prev = std::env::current_dir().expect("cwd");
        std::env::set_current_dir(dir).expect("enter dir");
        CwdGuard { prev, _lock: lock }
    }
}

impl Drop for CwdGuard {
    fn drop(&mut self) {
        let _ = std::env::set_current_dir(&self.prev);
    }
}

/// Runs the command line in-process from the repository root: exit code,
/// stdout, stderr.
pub fn run(args: &[&str]) -> (i32, String, String) {
    let _guard = CwdGuard::enter(&root());
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let argv = std::iter::once("spikec")
        .chain(args.iter().copied())
        .map(Into::into);
    let code = spikec::cli::run(argv, &mut out, &mut err, false);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// Compiles inline source that must have no errors.
pub fn compile_ok(name: &str, src: &str, set: &[spikec::driver::Override]) -> spikec_ir::Network {
    let c = spikec::driver::compile_source(name, src.to_string(), set);
    assert!(!c.has_errors(), "{name}:\n{}\n{src}", rendered(&c));
    c.network.expect("no errors, so a network")
}

/// `--set` overrides from (name, value) pairs.
pub fn overrides(pairs: &[(&str, &str)]) -> Vec<spikec::driver::Override> {
    pairs
        .iter()
        .map(|(n, v)| spikec::driver::Override {
            name: n.to_string(),
            value: v.to_string(),
        })
        .collect()
}

//! Output directories written all at once: the files go to a hidden
//! sibling, which is then renamed over the directory, so a failure or an
//! interruption leaves either the old contents or the new ones, never a
//! mix. `spikec build` and `spikec test --bless` both write this way.

use std::path::{Path, PathBuf};

/// Writes `files` (relative paths with `/`) as the directory `dir`,
/// replacing whatever was there, all at once.
pub fn write_dir<K, V>(dir: &Path, files: impl IntoIterator<Item = (K, V)>) -> std::io::Result<()>
where
    K: AsRef<Path>,
    V: AsRef<[u8]>,
{
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)?;
    let pid = std::process::id();
    let tmp = parent.join(format!(".{name}.partial-{pid}"));
    let old = parent.join(format!(".{name}.old-{pid}"));
    let _ = std::fs::remove_dir_all(&tmp);
    let _ = std::fs::remove_dir_all(&old);
    let written = (|| {
        std::fs::create_dir_all(&tmp)?;
        for (rel, bytes) in files {
            let path = tmp.join(rel);
            if let Some(d) = path.parent() {
                std::fs::create_dir_all(d)?;
            }
            std::fs::write(&path, bytes)?;
        }
        Ok::<(), std::io::Error>(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let had_old = dir.exists();
    if had_old {
        if let Err(e) = std::fs::rename(dir, &old) {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    }
    if let Err(e) = std::fs::rename(&tmp, dir) {
        if had_old {
            let _ = std::fs::rename(&old, dir);
        }
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(())
}

//! Writes a brotli quality-11 `.br` and a gzip-9 `.gz` copy beside every
//! compressible file of the built app, so the server sends the bytes the
//! bundle budget measures (`ServeDir::precompressed_br`) instead of
//! compressing each response on the fly at a faster, larger setting.
//!
//! `cargo run --locked -q -p stigmergy-tools --bin precompress -- dist`
//!
//! It walks the whole directory (the split modules under `dist/ledger/`
//! and any others), and is safe to rerun: every copy is written afresh
//! (through a temporary file, so a server never sends half of one), a copy
//! that no longer pays or whose original is gone is removed, and `.br` and
//! `.gz` files are never compressed themselves. The root `index.html` is
//! left alone: the server rewrites it per portal and compresses it itself.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use stigmergy_tools::{brotli_11, gzip_9};

/// The kinds of file worth compressing: text and WebAssembly. Images,
/// fonts and archives are compressed already.
const COMPRESSIBLE: &[&str] = &[
    "wasm",
    "js",
    "mjs",
    "css",
    "json",
    "svg",
    "html",
    "txt",
    "xml",
    "map",
    "webmanifest",
];

/// Compresses a whole file at once.
type Compress = fn(&[u8]) -> std::io::Result<Vec<u8>>;

/// The encodings written, with the file name suffix each copy takes.
const ENCODINGS: [(&str, Compress); 2] = [("br", brotli_11), ("gz", gzip_9)];

/// A copy is kept only when it is at most this share of the original:
/// below that the saving does not pay for the client's decoding (and tiny
/// files can even grow).
const WORTH_IT: f64 = 0.9;

/// What one run did, for its summary line.
#[derive(Debug, Default, PartialEq, Eq)]
struct Report {
    /// Files with fresh copies written.
    compressed: usize,
    /// Compressible files whose copies would not pay.
    skipped: usize,
    /// Stale copies removed.
    removed: usize,
    raw_bytes: u64,
    brotli_bytes: u64,
}

fn is_copy(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz"))
}

/// Whether `path` (under `root`) gets compressed copies.
fn is_compressible(root: &Path, path: &Path) -> bool {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    COMPRESSIBLE.contains(&extension) && path != root.join("index.html")
}

/// Every file under `dir`, depth first, in a stable order.
fn files_under(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files.extend(files_under(&path)?);
        } else if path.is_file() {
            files.push(path);
        }
    }
    Ok(files)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// Writes `bytes` to `path` through a temporary file beside it.
fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = with_suffix(path, "tmp");
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}

fn remove_if_present(path: &Path) -> std::io::Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Writes (or refreshes, or removes) the copies of every compressible file
/// under `root`.
fn precompress(root: &Path) -> std::io::Result<Report> {
    let mut report = Report::default();
    let files = files_under(root)?;
    for path in &files {
        if is_copy(path) {
            // A copy whose original is gone (an older build's hashed name)
            // would be served for nothing; a `.gz` of our own making only.
            let original = path.with_extension("");
            if !original.exists() && is_compressible(root, &original) {
                remove_if_present(path)?;
                report.removed += 1;
            }
            continue;
        }
        if !is_compressible(root, path) {
            continue;
        }
        let bytes = std::fs::read(path)?;
        let mut wrote = false;
        for (suffix, compress) in ENCODINGS {
            let copy = with_suffix(path, suffix);
            let compressed = compress(&bytes)?;
            if (compressed.len() as f64) <= bytes.len() as f64 * WORTH_IT {
                replace(&copy, &compressed)?;
                if suffix == "br" {
                    report.brotli_bytes += compressed.len() as u64;
                }
                wrote = true;
            } else if remove_if_present(&copy)? {
                report.removed += 1;
            }
        }
        if wrote {
            report.compressed += 1;
            report.raw_bytes += bytes.len() as u64;
        } else {
            report.skipped += 1;
        }
    }
    Ok(report)
}

fn main() -> ExitCode {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "dist".into()));
    if !dir.join("index.html").is_file() {
        eprintln!(
            "{} holds no built app (no index.html): run scripts/build-app first",
            dir.display()
        );
        return ExitCode::FAILURE;
    }
    match precompress(&dir) {
        Ok(report) => {
            println!(
                "precompressed {} files in {} ({:.1} KiB raw, {:.1} KiB brotli); \
                 {} not worth it, {} stale copies removed",
                report.compressed,
                dir.display(),
                report.raw_bytes as f64 / 1024.0,
                report.brotli_bytes as f64 / 1024.0,
                report.skipped,
                report.removed,
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("precompressing {} failed: {error}", dir.display());
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// Text that compresses well, like the app's JavaScript.
    fn script() -> Vec<u8> {
        "export function mount(element) { element.textContent = 'open accounts'; }\n"
            .repeat(200)
            .into_bytes()
    }

    fn built_app() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<html>".repeat(100)).unwrap();
        std::fs::write(
            dir.path().join("stigmergy-app-0123456789abcdef_bg.wasm"),
            [0u8, 97, 115, 109].repeat(500),
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("ledger")).unwrap();
        std::fs::write(dir.path().join("ledger/loader.js"), script()).unwrap();
        std::fs::write(dir.path().join("favicon.png"), [137u8, 80, 78, 71]).unwrap();
        dir
    }

    fn unbrotli(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &bytes[..], &mut out).unwrap();
        out
    }

    fn ungzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn each_copy_decompresses_to_its_original_in_every_folder() {
        let dir = built_app();

        precompress(dir.path()).unwrap();

        for name in ["stigmergy-app-0123456789abcdef_bg.wasm", "ledger/loader.js"] {
            let original = std::fs::read(dir.path().join(name)).unwrap();
            let br = std::fs::read(dir.path().join(format!("{name}.br"))).unwrap();
            let gz = std::fs::read(dir.path().join(format!("{name}.gz"))).unwrap();
            assert!(
                br.len() < original.len() && gz.len() < original.len(),
                "{name}"
            );
            assert_eq!(unbrotli(&br), original, "{name}.br");
            assert_eq!(ungzip(&gz), original, "{name}.gz");
        }
    }

    #[test]
    fn the_rewritten_index_and_files_that_do_not_compress_get_no_copies() {
        let dir = built_app();
        // Already compressed, as far as brotli can tell: xorshift noise.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 32) as u8
            })
            .collect();
        std::fs::write(dir.path().join("noise.js"), noise).unwrap();

        let report = precompress(dir.path()).unwrap();

        for name in ["index.html", "favicon.png", "noise.js"] {
            for suffix in ["br", "gz"] {
                let copy = dir.path().join(format!("{name}.{suffix}"));
                assert!(!copy.exists(), "{}", copy.display());
            }
        }
        assert_eq!(report.compressed, 2);
        assert_eq!(report.skipped, 1, "noise.js");
    }

    #[test]
    fn a_rerun_replaces_stale_copies_and_never_compresses_a_copy() {
        let dir = built_app();
        let loader = dir.path().join("ledger/loader.js");
        precompress(dir.path()).unwrap();
        let first = files_under(dir.path()).unwrap();

        // A new build changes a file in place and drops an old hashed one.
        let changed = [script(), b"// rebuilt\n".to_vec()].concat();
        std::fs::write(&loader, &changed).unwrap();
        std::fs::write(dir.path().join("old-0123456789abcdef.js.br"), b"stale").unwrap();
        let report = precompress(dir.path()).unwrap();

        assert_eq!(
            files_under(dir.path()).unwrap(),
            first,
            "no .br.br, no orphans"
        );
        assert_eq!(report.removed, 1, "the old build's copy");
        let br = std::fs::read(with_suffix(&loader, "br")).unwrap();
        let gz = std::fs::read(with_suffix(&loader, "gz")).unwrap();
        assert_eq!(unbrotli(&br), changed);
        assert_eq!(ungzip(&gz), changed);
    }
}

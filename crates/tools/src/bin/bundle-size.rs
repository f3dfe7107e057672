//! Prints what the built app's code weighs, chunk by chunk (raw, gzip -9,
//! brotli q11), and fails above the budgets: the main module (all a first
//! visit to the commons loads) within 155 KiB brotli, and each page chunk
//! with the shared chunks it pulls in within 200 KiB.
//!
//! `cargo run -p stigmergy-tools --bin bundle-size -- dist`
//!
//! The split app sits in `dist/app-<hash>/` (scripts/split-wasm.mjs): the
//! main module and its glue, the loader `__wasm_split.js`, one
//! `split_<name>.wasm` per chunk of pages (src/lib.rs names them) and the
//! `chunk_<n>.wasm` files two or more of them share, which the loader lists
//! for each. What a browser really transfers per route, libraries loaded by
//! a page included, is measured in Chromium by the browser test
//! `every_route_stays_within_its_byte_budget`.
//!
//! Sizes are deterministic for a given build, so the budgets are a fair
//! check in `make test`; timings are not, and are never asserted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use stigmergy_tools::{brotli_11, gzip_9};

/// The main module, its glue, the chunks' loader and the boot script: a
/// ratchet at what the split reached (150.1 KiB; it was 376 KiB for the
/// whole app before), not yet issue 14's goal of 120 KiB, which needs the
/// framework floor itself lowered (see the issue's note).
const MAIN_BUDGET_KIB: f64 = 155.0;
/// One chunk of pages with the shared chunks it needs.
const CHUNK_BUDGET_KIB: f64 = 200.0;

#[derive(Clone, Copy, Default)]
struct Sizes {
    raw: usize,
    gzip: usize,
    brotli: usize,
}

impl std::ops::Add for Sizes {
    type Output = Sizes;
    fn add(self, other: Sizes) -> Sizes {
        Sizes {
            raw: self.raw + other.raw,
            gzip: self.gzip + other.gzip,
            brotli: self.brotli + other.brotli,
        }
    }
}

fn sizes(bytes: &[u8]) -> std::io::Result<Sizes> {
    Ok(Sizes {
        raw: bytes.len(),
        gzip: gzip_9(bytes)?.len(),
        brotli: brotli_11(bytes)?.len(),
    })
}

fn file_sizes(path: &Path) -> Result<Sizes, String> {
    std::fs::read(path)
        .and_then(|bytes| sizes(&bytes))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn kib(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}

/// A chunk of pages as the loader names it: its own module (none when
/// wasm-split left it empty) and the shared chunks it waits for.
#[derive(Debug, PartialEq)]
struct Split {
    own: Option<String>,
    shared: Vec<String>,
}

/// The chunks of pages in the loader `__wasm_split.js`, by name, from its
/// `export const __wasm_split_load_<name> = wrapAsyncCb(makeLoad(<fetch>,
/// [__chunk_<n>, …]))` lines, and the files of the shared chunks from its
/// `const __chunk_<n> = makeLoad(… "./chunk_<n>.wasm" …)` lines.
fn splits(loader: &str) -> Result<BTreeMap<String, Split>, String> {
    const EXPORT: &str = "export const __wasm_split_load_";
    let mut found = BTreeMap::new();
    for (at, _) in loader.match_indices(EXPORT) {
        let rest = &loader[at + EXPORT.len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let end = rest
            .find("]));")
            .ok_or_else(|| format!("the loader of {name} does not end as expected"))?;
        let body = &rest[..end];
        let own = body
            .split("new URL(\"./")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .filter(|file| file.starts_with("split_"))
            .map(str::to_owned);
        let deps = body.rsplit('[').next().unwrap_or_default();
        let shared = deps
            .split(',')
            .map(str::trim)
            .filter_map(|d| d.strip_prefix("__chunk_"))
            .map(|n| format!("chunk_{n}.wasm"))
            .collect();
        found.insert(name, Split { own, shared });
    }
    if found.is_empty() {
        return Err("the loader names no chunk".into());
    }
    Ok(found)
}

fn app_folder(dist: &Path) -> Result<PathBuf, String> {
    std::fs::read_dir(dist)
        .map_err(|e| format!("cannot read {}: {e}", dist.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("app-"))
        })
        .ok_or_else(|| {
            format!(
                "no split app (app-<hash>/) in {}: build the app first (scripts/build-app)",
                dist.display()
            )
        })
}

fn row(name: &str, s: Sizes) {
    println!(
        "{name:<52} {:>9.1} {:>9.1} {:>10.1}",
        kib(s.raw),
        kib(s.gzip),
        kib(s.brotli)
    );
}

fn report(dist: &Path) -> Result<Vec<String>, String> {
    let folder = app_folder(dist)?;
    let boot: Vec<PathBuf> = std::fs::read_dir(dist)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("boot-") && n.ends_with(".js"))
        })
        .collect();
    let mut main = Sizes::default();
    println!(
        "{:<52} {:>9} {:>9} {:>10}",
        "code", "raw KiB", "gzip KiB", "brotli KiB"
    );
    for path in boot.iter().cloned().chain(
        [
            "stigmergy-app_bg.wasm",
            "stigmergy-app.js",
            "__wasm_split.js",
        ]
        .into_iter()
        .map(|f| folder.join(f)),
    ) {
        let s = file_sizes(&path)?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        row(&format!("  {name}"), s);
        main = main + s;
    }
    row("main: every route, and all the commons (/) needs", main);
    let mut over = Vec::new();
    if kib(main.brotli) > MAIN_BUDGET_KIB {
        over.push(format!(
            "main: {:.1} KiB brotli, above {MAIN_BUDGET_KIB}",
            kib(main.brotli)
        ));
    }

    let loader = std::fs::read_to_string(folder.join("__wasm_split.js"))
        .map_err(|e| format!("cannot read the loader: {e}"))?;
    let mut shared_sizes = BTreeMap::new();
    for (name, split) in splits(&loader)? {
        let own = match &split.own {
            Some(file) => file_sizes(&folder.join(file))?,
            None => Sizes::default(),
        };
        let mut shared = Sizes::default();
        for file in &split.shared {
            if !shared_sizes.contains_key(file) {
                shared_sizes.insert(file.clone(), file_sizes(&folder.join(file))?);
            }
            shared = shared + shared_sizes[file];
        }
        let total = own + shared;
        row(
            &format!(
                "chunk {name}: own + {} shared ({:.1} KiB br)",
                split.shared.len(),
                kib(shared.brotli)
            ),
            total,
        );
        if kib(total.brotli) > CHUNK_BUDGET_KIB {
            over.push(format!(
                "chunk {name}: {:.1} KiB brotli, above {CHUNK_BUDGET_KIB}",
                kib(total.brotli)
            ));
        }
    }
    // The accounts page's own module (crates/ledger-view), which that page
    // loads when it opens.
    let ledger = dist.join("ledger");
    if ledger.is_dir() {
        let mut total = Sizes::default();
        for entry in std::fs::read_dir(&ledger).map_err(|e| e.to_string())? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("wasm" | "js")
            ) {
                total = total + file_sizes(&path)?;
            }
        }
        row("ledger/: the accounts page's module (on demand)", total);
    }
    Ok(over)
}

fn main() -> ExitCode {
    let dist = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "dist".into()));
    match report(&dist) {
        Ok(over) if over.is_empty() => {
            println!(
                "within budget: main <= {MAIN_BUDGET_KIB} KiB, each chunk <= {CHUNK_BUDGET_KIB} KiB (brotli)"
            );
            ExitCode::SUCCESS
        }
        Ok(over) => {
            eprintln!("over budget:\n  {}", over.join("\n  "));
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOADER: &str = r#"/* designs, needs */
const __chunk_3 = makeLoad(() => {
    const src = fetch(new URL("./chunk_3.wasm", import.meta.url));
}
, []);
export const __wasm_split_load_needs = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./split_needs.wasm", import.meta.url));
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, [__chunk_3, __chunk_12]));
export const __wasm_split_load_empty = wrapAsyncCb(makeLoad(() => async (_imp) => ({}), [__chunk_3]));
"#;

    #[test]
    fn the_loader_says_which_files_each_chunk_needs() {
        let found = splits(LOADER).unwrap();
        assert_eq!(
            found["needs"],
            Split {
                own: Some("split_needs.wasm".into()),
                shared: vec!["chunk_3.wasm".into(), "chunk_12.wasm".into()],
            }
        );
        assert_eq!(
            found["empty"],
            Split {
                own: None,
                shared: vec!["chunk_3.wasm".into()],
            }
        );
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn a_loader_without_chunks_is_an_error() {
        assert!(splits("export default 1;").is_err());
    }
}

// Trunk post_build hook (through post-build.mjs, before
// externalise-boot-script.mjs): splits the
// app's wasm so that each page but the commons travels in a chunk of its own
// (src/chunk.rs, issue 14).
//
// Trunk builds the app with the `split` feature (index.html) and
// `-Clink-args=--emit-relocs` (scripts/build-app), then runs wasm-bindgen
// and wasm-opt on the whole module. This hook starts again from cargo's
// output, in the order the split needs:
//   1. wasm-split-cli (crates.io `wasm_split_cli_support`, installed by
//      scripts/install-tools) cuts it into the main module, one module per
//      page and shared chunks, plus the loader `__wasm_split.js`;
//   2. wasm-bindgen --keep-lld-exports on the main module (the chunks link
//      against its exports);
//   3. wasm-opt on every piece (release builds);
// and puts the pieces in one content-hashed folder, `app-<hash>/`, in place
// of Trunk's unsplit wasm and glue, so that their relative imports stay as
// written and every file in the folder can be cached for good.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const NAME = "stigmergy-app";
// The features rustc enables by default for wasm32; the same list as the
// data-wasm-opt-params in index.html.
const WASM_OPT_FEATURES = [
  "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
  "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue",
];

const fail = (message) => {
  console.error(`split-wasm: ${message}`);
  process.exit(1);
};
const run = (command, args) => {
  try {
    const said = execFileSync(command, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
    if (said.trim()) console.log(said.trim());
  } catch (error) {
    console.error(error.stderr || "");
    fail(`${command} failed (${error.message}); scripts/install-tools installs it`);
  }
};

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) fail("TRUNK_STAGING_DIR is not set (run it as a Trunk hook)");
const release = process.env.TRUNK_PROFILE === "release";

const metadata = JSON.parse(
  execFileSync("cargo", ["metadata", "--format-version", "1", "--no-deps"], { encoding: "utf8" }),
);
const input = join(
  metadata.target_directory, "wasm32-unknown-unknown", release ? "release" : "debug", `${NAME}.wasm`,
);

const work = mkdtempSync(join(tmpdir(), "split-wasm-"));
try {
  const out = join(work, "out");
  // It needs the relocations: scripts/build-app builds with
  // -Clink-args=--emit-relocs (set it too for a bare `trunk build`).
  run("wasm-split-cli", [input, out, "--out-name", NAME]);
  run("wasm-bindgen", [
    "--target", "web", "--no-typescript", "--keep-lld-exports", "--no-demangle",
    "--out-dir", out, "--out-name", NAME, join(out, `${NAME}.wasm`),
  ]);
  rmSync(join(out, `${NAME}.wasm`));
  const files = readdirSync(out).sort();
  if (release) {
    for (const file of files.filter((f) => f.endsWith(".wasm"))) {
      const path = join(out, file);
      run("wasm-opt", ["-Oz", ...WASM_OPT_FEATURES, path, "-o", path]);
    }
  }
  const chunks = files.filter((f) => f.endsWith(".wasm") && f !== `${NAME}_bg.wasm`);
  if (chunks.length === 0) fail("wasm-split-cli found no split points: is the `split` feature on?");

  const hash = createHash("sha256");
  for (const file of files) hash.update(file).update(readFileSync(join(out, file)));
  const folder = `app-${hash.digest("hex").slice(0, 16)}`;
  rmSync(join(staging, folder), { recursive: true, force: true });
  renameSync(out, join(staging, folder));

  // Point index.html (Trunk's preload links and its boot script) at the
  // split main module instead of Trunk's own, and drop Trunk's.
  const indexPath = join(staging, "index.html");
  let html = readFileSync(indexPath, "utf8");
  const integrity = (file) =>
    "sha384-" + createHash("sha384").update(readFileSync(join(staging, folder, file))).digest("base64");
  const trunkFiles = readdirSync(staging).filter((f) =>
    new RegExp(`^${NAME}-[0-9a-f]{16}(\\.js|_bg\\.wasm)$`).test(f),
  );
  if (trunkFiles.length !== 2) fail(`expected Trunk's glue and wasm in ${staging}, found ${trunkFiles}`);
  for (const old of trunkFiles) {
    const file = old.endsWith(".js") ? `${NAME}.js` : `${NAME}_bg.wasm`;
    const tag = new RegExp(`<link[^>]*href="/${old}"[^>]*>`, "g");
    html = html.replace(tag, (link) =>
      link.replace(/integrity="[^"]*"/, `integrity="${integrity(file)}"`),
    );
    html = html.replaceAll(`/${old}`, `/${folder}/${file}`);
    rmSync(join(staging, old));
  }
  writeFileSync(indexPath, html);
  console.log(`split-wasm: ${folder}/ with the main module and ${chunks.length} chunk(s)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

// Trunk post_build hook: moves the inline <script type="module"> that Trunk
// writes into index.html (the wasm loader) into its own content-hashed file,
// so the Content-Security-Policy can forbid inline scripts altogether
// (script-src 'self' 'wasm-unsafe-eval', no 'unsafe-inline', no hashes).
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) {
  console.error("externalise-boot-script: TRUNK_STAGING_DIR is not set (run it as a Trunk hook)");
  process.exit(1);
}
const indexPath = join(staging, "index.html");
let html = readFileSync(indexPath, "utf8");
const inline = /<script type="module">([\s\S]*?)<\/script>/g;
let count = 0;
html = html.replace(inline, (_, code) => {
  const body = code.trim() + "\n";
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 16);
  const integrity = "sha384-" + createHash("sha384").update(body).digest("base64");
  const name = `boot-${hash}.js`;
  writeFileSync(join(staging, name), body);
  count += 1;
  return `<script type="module" src="/${name}" integrity="${integrity}" crossorigin="anonymous"></script>`;
});
if (/<script(?![^>]*\bsrc=)[^>]*>/.test(html)) {
  console.error("externalise-boot-script: an inline script is left in index.html");
  process.exit(1);
}
writeFileSync(indexPath, html);
console.log(`externalise-boot-script: moved ${count} inline script(s) out of index.html`);

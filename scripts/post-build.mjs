// Trunk's one post_build hook: Trunk runs the hooks of a stage at the same
// time, and these two must run in order (the boot script is externalised
// once the split has pointed it at the split main module).
await import("./split-wasm.mjs");
await import("./externalise-boot-script.mjs");

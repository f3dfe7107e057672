// Loads the accounts page's own wasm module (crates/ledger-view) and the
// Chart.js it draws with, once, when that page first asks; the page awaits
// `window.stigmergyLedger` for the module's exports. A classic script, so
// the page can add it like Leaflet's; the imports come from this site only
// (CSP 'self'). Chart.js's UMD build sets `globalThis.Chart` when imported.
window.stigmergyLedger =
  window.stigmergyLedger ||
  Promise.all([
    import("/chart.umd.min.js"),
    import("/ledger/stigmergy_ledger_view.js"),
  ]).then(async ([, module]) => {
    await module.default({ module_or_path: "/ledger/stigmergy_ledger_view_bg.wasm" });
    return module;
  });

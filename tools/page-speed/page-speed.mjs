// What a first visit to each route costs, against a running portal with the
// demo data: bytes transferred by type and the time to the route's first
// meaningful element in headless Chromium, then Lighthouse's mobile scores
// and timings. Prints figures; asserts nothing. Run by scripts/page-speed,
// which starts the server and installs this folder's packages.
//
//   node page-speed.mjs http://127.0.0.1:PORT

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import puppeteer from 'puppeteer-core';

const base = process.argv[2];
if (!base) {
  console.error('usage: node page-speed.mjs http://127.0.0.1:PORT');
  process.exit(2);
}
const chromePath = process.env.CHROME_PATH || '/usr/bin/chromium';
// Nothing in the background: no updates, no sync, no downloads.
const chromeFlags = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

async function json(path) {
  const response = await fetch(base + path);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

async function untilUp() {
  for (let attempt = 0; attempt < 300; attempt++) {
    try {
      if ((await fetch(base + '/api/health')).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`the server did not answer at ${base}/api/health within 30 s`);
}

// Each route with the element that shows it is usable (src/pages/).
async function routes() {
  const designs = await json('/api/designs?limit=1');
  const coalitions = await json('/api/coalitions');
  const design = designs.items?.[0]?.id;
  // GET /api/coalitions lists each coalition with its agent first.
  const coalition = coalitions[0]?.agent?.id;
  if (!design || !coalition) throw new Error('no demo data: start the server with STIGMERGY_DEMO=1');
  return [
    { path: '/', element: '[data-testid=design-card]' },
    { path: '/needs', element: '[data-testid=need-card]' },
    { path: '/map', element: '[data-testid=map] .leaflet-overlay-pane canvas' },
    { path: `/designs/${design}`, element: '[data-testid=design-title]' },
    { path: `/coalitions/${coalition}/accounts`, element: '[data-testid=accounts-title]' },
  ];
}

function kind(entry) {
  const path = new URL(entry.name).pathname;
  if (path.endsWith('.wasm')) return 'wasm';
  if (path.endsWith('.js') || path.endsWith('.mjs')) return 'js';
  if (path.endsWith('.css')) return 'css';
  return 'other';
}

async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'page-speed-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: chromePath,
    headless: false, // the flags say --headless=new themselves
    args: [...chromeFlags, `--user-data-dir=${profile}`],
    defaultViewport: { width: 1280, height: 900 },
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// A first visit (an empty cache) to one route: the time until its
// element is in the page, then what was transferred once the network
// has settled (the live stream aside).
async function visit(browser, route) {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    await page.goto(base + route.path, { waitUntil: 'domcontentloaded' });
    const shown = await page.waitForFunction(
      (selector) => document.querySelector(selector) && performance.now(),
      { polling: 'mutation', timeout: 30_000 },
      route.element,
    );
    const elementMs = await shown.jsonValue();
    await page.waitForNetworkIdle({ idleTime: 500, concurrency: 1, timeout: 15_000 }).catch(() => {});
    const entries = await page.evaluate(() =>
      [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].map(
        (e) => ({ name: e.name, transfer: e.transferSize, encoded: e.encodedBodySize }),
      ),
    );
    const bytes = { wasm: 0, js: 0, css: 0, other: 0, total: 0, encoded: 0 };
    for (const entry of entries) {
      bytes[kind(entry)] += entry.transfer;
      bytes.total += entry.transfer;
      bytes.encoded += entry.encoded;
    }
    return { elementMs, bytes };
  } finally {
    await context.close();
  }
}

async function loadLighthouse() {
  try {
    return (await import('lighthouse')).default;
  } catch {
    return null;
  }
}

// Lighthouse's default run: a mid-range phone on a slow 4G link
// (simulated throttling), performance and accessibility only.
async function audit(lighthouse, browser, route) {
  const page = await browser.newPage();
  try {
    const result = await lighthouse(
      base + route.path,
      { output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility'] },
      undefined,
      page,
    );
    const { categories, audits } = result.lhr;
    const score = (c) => (categories[c]?.score == null ? null : Math.round(categories[c].score * 100));
    const value = (a) => audits[a]?.numericValue ?? null;
    return {
      performance: score('performance'),
      accessibility: score('accessibility'),
      lcp: value('largest-contentful-paint'),
      tbt: value('total-blocking-time'),
      cls: value('cumulative-layout-shift'),
      fcp: value('first-contentful-paint'),
    };
  } finally {
    await page.close().catch(() => {});
  }
}

const kib = (n) => (n / 1024).toFixed(1);
const ms = (n) => (n == null ? '-' : `${Math.round(n)}`);

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

await untilUp();
const list = await routes();

const { browser, close } = await launch();
const visits = [];
try {
  for (const route of list) visits.push(await visit(browser, route));
} finally {
  await close();
}
console.log(`First visit to ${base}, empty cache, no throttling: KiB transferred (transferSize, headers included)`);
table(
  ['route', 'wasm', 'js', 'css', 'other', 'total', 'encoded', 'element ms', 'element'],
  list.map((route, i) => {
    const { bytes, elementMs } = visits[i];
    return [
      route.path,
      kib(bytes.wasm),
      kib(bytes.js),
      kib(bytes.css),
      kib(bytes.other),
      kib(bytes.total),
      kib(bytes.encoded),
      ms(elementMs),
      route.element,
    ];
  }),
);

const lighthouse = await loadLighthouse();
if (!lighthouse) {
  console.log('\nLighthouse is not installed: no scores (scripts/page-speed installs it).');
} else {
  const { browser: audited, close: closeAudited } = await launch();
  const audits = [];
  try {
    for (const route of list) audits.push(await audit(lighthouse, audited, route));
  } finally {
    await closeAudited();
  }
  console.log('\nLighthouse (mobile, simulated slow 4G): scores out of 100, timings in ms');
  table(
    ['route', 'performance', 'accessibility', 'LCP', 'TBT', 'CLS', 'FCP'],
    list.map((route, i) => {
      const a = audits[i];
      return [
        route.path,
        a.performance ?? '-',
        a.accessibility ?? '-',
        ms(a.lcp),
        ms(a.tbt),
        a.cls == null ? '-' : a.cls.toFixed(3),
        ms(a.fcp),
      ];
    }),
  );
}

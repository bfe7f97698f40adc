/**
 * Load and render times of the viewer at scale, in a real headless Chromium:
 *   A. 500 runs x 2000 steps (1M step records, 10 series each) + 40 evals per run;
 *   B. one run of 1M steps.
 * Prints one table; every number is from this one run. `pnpm --filter mtl-viewer bench`.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { startViewer } from '../src/index.js';
import { runConfig, runRecords, writeRun } from '../test/fixture-runs.js';

const root = join(tmpdir(), `mtl-viewer-bench-${process.pid}`);
const rows: [string, string][] = [];
const report = (what: string, value: string) => {
  rows.push([what, value]);
  console.log(`${what}: ${value}`);
};
const ms = (t: number) => `${t.toFixed(0)} ms`;

async function rendered(page: Page, action: () => Promise<unknown>): Promise<number> {
  const before = await page.evaluate(() => Number(document.body.dataset.renders ?? 0));
  const started = performance.now();
  await action();
  await page.waitForFunction((n) => Number(document.body.dataset.renders ?? 0) > n, before, { timeout: 300_000 });
  // Until the next frame is painted.
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  return performance.now() - started;
}

/** Mouse moves over the first chart: time from the event to the frame after it, median of 20. */
async function hoverFrame(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const over = document.querySelector('.chart .u-over') as HTMLElement;
    const box = over.getBoundingClientRect();
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      over.dispatchEvent(
        new MouseEvent('mousemove', {
          clientX: box.left + box.width * (0.1 + i * 0.04),
          clientY: box.top + 30,
          bubbles: true,
        }),
      );
      await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[10]!;
  });
}

async function zoom(page: Page) {
  const box = (await page.locator('.chart .u-over').first().boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.3, box.y + 20);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + 20, { steps: 3 });
  await page.mouse.up();
}

async function main() {
  await rm(root, { recursive: true, force: true });
  const webRoot = join(root, 'web');
  await build({
    configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)),
    build: { outDir: webRoot },
    logLevel: 'warn',
  });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });

  // A. 500 runs.
  const manyDir = join(root, 'many');
  let t = performance.now();
  const methods = ['dynamic', 'uniform', 'uncertainty', 'gradnorm', 'dwa'];
  for (let i = 0; i < 500; i++) {
    await writeRun(manyDir, {
      id: `run-${String(i).padStart(3, '0')}`,
      weighting: methods[i % 5],
      seed: i % 10,
      fold: i % 5,
      epochs: 20,
      stepsPerEpoch: 100,
    });
  }
  console.log(`(wrote 500 runs in ${ms(performance.now() - t)})`);
  t = performance.now();
  const many = await startViewer({ runs: manyDir, port: 0, webRoot, pollMs: 1000 });
  const listening = performance.now() - t;
  const firstRuns = new Promise<number>((done) => {
    const poll = setInterval(() => {
      if (many.folder.list().length > 0) {
        clearInterval(poll);
        done(performance.now() - t);
      }
    }, 5);
  });
  report('A. server: listening', ms(listening));
  report('A. server: first runs listed', ms(await firstRuns));
  await many.ready;
  report('A. server: first scan of 500 runs, 1M step records (validated)', ms(performance.now() - t));
  t = performance.now();
  const listing = await (await fetch(new URL('api/runs', many.url))).text();
  report(
    'A. GET /api/runs (500 runs with stats)',
    `${ms(performance.now() - t)}, ${(listing.length / 1e6).toFixed(1)} MB`,
  );
  t = performance.now();
  await many.folder.refresh();
  report('A. server: one poll of 500 unchanged runs', ms(performance.now() - t));

  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  t = performance.now();
  await page.goto(many.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 300_000 });
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  report('A. page load to first charts (table of 500, 20 runs drawn)', ms(performance.now() - t));
  const all = await rendered(page, () => page.check('input[data-select="*"]'));
  report('A. select all 500 runs: fetch 1M steps + draw visible charts', ms(all));
  report('A. hover, 500 runs drawn (median, event to painted frame)', ms(await hoverFrame(page)));
  report('A. zoom by drag, 500 runs drawn', ms(await rendered(page, () => zoom(page))));
  report('A. smoothing change, 500 runs drawn', ms(await rendered(page, () => page.fill('#smoothing', '0.9'))));
  report(
    'A. group by weighting (5 groups, mean ± band)',
    ms(await rendered(page, () => page.selectOption('#group-by', 'weighting'))),
  );
  const memory = await page.evaluate(
    () => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0,
  );
  report('A. page JS heap with 500 runs loaded', `${(memory / 2 ** 20).toFixed(0)} MiB`);
  await page.close();
  await many.close();

  // B. one run, 1M steps.
  const bigDir = join(root, 'big', 'big-run');
  await mkdir(bigDir, { recursive: true });
  t = performance.now();
  const spec = { id: 'big-run', epochs: 100, stepsPerEpoch: 10_000 };
  const records = runRecords(spec);
  await writeFile(join(bigDir, 'config.json'), JSON.stringify(runConfig(spec)));
  const lines: string[] = [];
  for (const r of records) lines.push(JSON.stringify(r));
  await writeFile(join(bigDir, 'metrics.jsonl'), `${lines.join('\n')}\n`);
  console.log(`(wrote one run of ${records.length} records in ${ms(performance.now() - t)})`);
  t = performance.now();
  const big = await startViewer({ runs: join(root, 'big'), port: 0, webRoot, pollMs: 1000 });
  await big.ready;
  report('B. server: first read of one run with 1M steps', ms(performance.now() - t));
  const bigPage = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  t = performance.now();
  await bigPage.goto(big.url);
  await bigPage.waitForSelector('body[data-ready="true"]', { timeout: 300_000 });
  await bigPage.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  report('B. page load to first charts (1M points per step chart)', ms(performance.now() - t));
  report('B. hover (median, event to painted frame)', ms(await hoverFrame(bigPage)));
  report('B. zoom by drag', ms(await rendered(bigPage, () => zoom(bigPage))));
  report('B. smoothing change', ms(await rendered(bigPage, () => bigPage.fill('#smoothing', '0.95'))));
  await bigPage.close();
  await big.close();
  await browser.close();
  await rm(root, { recursive: true, force: true });

  console.log('\n| measurement | time |\n| --- | --- |');
  for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
}

await main();

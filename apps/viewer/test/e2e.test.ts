/**
 * The page in a real headless Chromium (Debian's chromium via playwright-core), built by Vite
 * and served by the real server over fixture runs. Screenshots go to test-output/.
 */
import { appendFile, mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EvalRecord, StepRecord } from '@mtl/training/run-store';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startViewer, type Viewer } from '../src/index.js';
import { formatValue } from '../web/format.js';
import { writeFixture } from './fixture-runs.js';
import { tempDir } from './helpers.js';

const OUTPUT = fileURLToPath(new URL('../test-output/', import.meta.url));
const temp = tempDir('e2e');
let fixture: Awaited<ReturnType<typeof writeFixture>>;
let viewer: Viewer;
let browser: Browser;

const steps = (i: number) => fixture.runs[i]!.records.filter((r): r is StepRecord => r.kind === 'step');
const evals = (i: number, split = 'validation') =>
  fixture.runs[i]!.records.filter((r): r is EvalRecord => r.kind === 'eval' && r.split === split);
const f4 = formatValue;

beforeAll(async () => {
  const webRoot = join(temp.dir, 'web');
  await build({
    configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)),
    build: { outDir: webRoot, emptyOutDir: true },
    logLevel: 'warn',
  });
  fixture = await writeFixture(temp.dir);
  viewer = await startViewer({ runs: fixture.runsDir, port: 0, webRoot, pollMs: 150 });
  await viewer.ready;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  await mkdir(OUTPUT, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await viewer?.close();
  temp.remove();
});

async function open(query = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${viewer.url}${query}`);
  await page.waitForSelector('body[data-ready="true"]');
  expect(errors).toEqual([]);
  return page;
}

const chart = (key: string) => `.chart[data-key="${key}"]`;
const legendRow = (key: string, line: string) => `${chart(key)} .legend tr[data-line="${line}"]`;
const cell = (run: string, col: string) => `#runs-table tr[data-run="${run}"] td[data-col="${col}"]`;
const searchOf = (page: Page) => new URL(page.url()).searchParams;

describe('mtl-viewer in Chromium', () => {
  it('shows every run in the table and on the charts, with the stored values', async () => {
    const page = await open('?smooth=0.6');
    expect(await page.locator('#runs-table tbody tr').count()).toBe(4);
    const ua = evals(0).map((r) => r.tasks.emotion!.ua);
    expect(await page.textContent(cell('dynamic-s1', 'validation/emotion.ua:last'))).toBe(f4(ua.at(-1)!));
    expect(await page.textContent(cell('dynamic-s1', 'validation/emotion.ua:min'))).toBe(f4(Math.min(...ua)));
    expect(await page.textContent(cell('uniform-s2', 'status'))).toBe('running');
    // Task weights come first; the legend shows each run's last point, smoothed and raw.
    expect(await page.locator('.chart-section h2').first().textContent()).toBe('task weights');
    const weights = steps(0).map((r) => r.weights.emotion!);
    let ema = 0;
    weights.forEach((w) => {
      ema = 0.6 * ema + 0.4 * w;
    });
    const row = legendRow('step/weights.emotion', 'dynamic-s1');
    expect(await page.textContent(`${row} td.raw`)).toBe(`raw ${f4(weights.at(-1)!)}`);
    expect(await page.textContent(`${row} td.value`)).toBe(f4(ema / (1 - 0.6 ** weights.length)));
    expect(await page.textContent(`${legendRow('step/weights.emotion', 'uniform-s1')} td.raw`)).toBe('raw 1.0000');
    // The plot is drawn: the canvas holds the run's colour, not just the grid.
    const inked = await page.$eval(`${chart('step/weights.emotion')} canvas`, (canvas: HTMLCanvasElement) => {
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - data[i + 1]!) > 60) coloured++;
      return coloured;
    });
    expect(inked).toBeGreaterThan(100);
    await page.screenshot({ path: join(OUTPUT, 'scalars.png') });
    await page.close();
  });

  it("hovering shows every run's value at that x", async () => {
    const page = await open('?smooth=0');
    const over = page.locator(`${chart('step/losses.emotion')} .u-over`);
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.waitForTimeout(100);
    const at = await page.locator(`${chart('step/losses.emotion')} .legend td.at`).allTextContents();
    expect(at).toHaveLength(4);
    expect(new Set(at).size).toBe(1);
    const step = Number(at[0]!.replace('step ', ''));
    expect(step).toBeGreaterThan(10);
    expect(step).toBeLessThan(20);
    for (const [i, run] of fixture.specs.entries()) {
      const value = steps(i).find((r) => r.step === step)!.losses.emotion!;
      expect(await page.textContent(`${legendRow('step/losses.emotion', run.id)} td.value`)).toBe(f4(value));
    }
    // x by epoch (a step at its fraction of the epoch) and by wall time; log y.
    await page.mouse.move(0, 0);
    const lastAt = `${legendRow('step/weights.emotion', 'dynamic-s1')} td.at`;
    await page.selectOption('#x-axis', 'epoch');
    await page.waitForFunction((s) => document.querySelector(s)?.textContent === 'epoch 3', lastAt);
    await page.selectOption('#x-axis', 'wallTime');
    await page.waitForFunction(
      ([s, text]) => document.querySelector(s!)?.textContent === text,
      [lastAt, `${steps(0).at(-1)!.wallTime}s`],
    );
    await page.check('#log-y');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('log') === '1');
    expect(await page.locator(`${chart('step/weights.emotion')} .legend tr`).count()).toBe(4);
    await page.screenshot({ path: join(OUTPUT, 'wall-time-log.png') });
    await page.close();
  });

  it('selects runs, filters and groups them with mean ± spread', async () => {
    const page = await open('?smooth=0');
    await page.uncheck('input[data-select="dynamic-s2"]');
    await page.waitForFunction(
      () => new URL(location.href).searchParams.get('runs') === 'dynamic-s1,uniform-s1,uniform-s2',
    );
    // Charts are drawn once scrolled into view; the task weights are at the top.
    expect(await page.locator(`${chart('step/weights.emotion')} .legend tr`).count()).toBe(3);
    await page.check('input[data-select="dynamic-s2"]');
    await page.selectOption('#group-by', 'weighting');
    await page.waitForSelector('tr.group-row[data-group="weighting=dynamic"]');
    const losses = [0, 1].map((i) => evals(i).at(-1)!.loss);
    const mean = (losses[0]! + losses[1]!) / 2;
    const std = Math.abs(losses[0]! - losses[1]!) / 2;
    expect(
      await page.textContent('tr.group-row[data-group="weighting=dynamic"] td[data-col="validation/loss:last"]'),
    ).toBe(`${f4(mean)} ± ${f4(std)}`);
    expect(await page.textContent('tr.group-row[data-group="weighting=dynamic"]')).toContain('(n=2)');
    await page.screenshot({ path: join(OUTPUT, 'grouped.png') });
    await page.locator(chart('validation/loss')).scrollIntoViewIfNeeded();
    await page.waitForSelector(`${chart('validation/loss')} .legend tr`);
    const lines = page.locator(`${chart('validation/loss')} .legend tr`);
    expect(await lines.evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.line))).toEqual([
      'weighting=dynamic',
      'weighting=uniform',
    ]);
    // The group's line is the mean over its runs, the band one standard deviation.
    expect(await page.textContent(`${legendRow('validation/loss', 'weighting=dynamic')} td.value`)).toBe(
      `${f4(mean)} ± ${f4(std)}`,
    );
    await page.fill('#run-filter', 'seed=1');
    await page.waitForFunction(() => document.querySelectorAll('#runs-table tr[data-run]').length === 2);
    expect(searchOf(page).get('filter')).toBe('seed=1');
    await page.close();
  });

  it('exports every stored point as CSV and a chart as PNG', async () => {
    const page = await open();
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.click(`${chart('step/losses.gender')} [data-action="export-csv"]`),
    ]);
    const lines = (await readFile((await csv.path())!, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('run,source,tag,step,epoch,wallTime,value');
    expect(lines).toHaveLength(1 + fixture.specs.reduce((n, _, i) => n + steps(i).length, 0));
    const first = steps(0)[0]!;
    expect(lines).toContain(`dynamic-s1,step,losses.gender,1,1,${first.wallTime},${first.losses.gender}`);
    const [png] = await Promise.all([
      page.waitForEvent('download'),
      page.click(`${chart('step/losses.gender')} [data-action="export-png"]`),
    ]);
    const bytes = await readFile((await png.path())!);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    await page.close();
  });

  it('follows a running run live, keeping zoom, selection and scroll', async () => {
    const page = await open('?runs=dynamic-s1,uniform-s2');
    const over = page.locator(`${chart('step/weights.emotion')} .u-over`);
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.2, box.y + 20);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + 20, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => new URL(location.href).searchParams.has('xr'));
    const zoom = searchOf(page).get('xr');
    await page.evaluate(() => window.scrollTo(0, 300));
    const last = steps(3).at(-1)!;
    const more = Array.from({ length: 10 }, (_, i) => ({
      ...last,
      step: last.step + i + 1,
      epoch: 4,
      wallTime: last.wallTime + i + 1,
    }));
    await appendFile(
      join(fixture.runsDir, 'uniform-s2', 'metrics.jsonl'),
      more.map((r) => `${JSON.stringify(r)}\n`).join(''),
    );
    await page.waitForFunction(
      (selector) => document.querySelector(selector)?.textContent === String(40),
      cell('uniform-s2', 'steps'),
    );
    await page.waitForFunction(
      (selector) => document.querySelector(selector)?.textContent === 'step 40',
      `${legendRow('step/weights.emotion', 'uniform-s2')} td.at`,
    );
    expect(searchOf(page).get('xr')).toBe(zoom);
    expect(searchOf(page).get('runs')).toBe('dynamic-s1,uniform-s2');
    expect(await page.isChecked('input[data-select="uniform-s1"]')).toBe(false);
    expect(await page.evaluate(() => window.scrollY)).toBe(300);
    // A run that vanishes leaves the table, and comes back with its folder.
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const away = join(fixture.root, 'dynamic-s1-away');
    await rename(join(fixture.runsDir, 'dynamic-s1'), away);
    await page.waitForFunction(() => document.querySelectorAll('#runs-table tr[data-run]').length === 3);
    await rename(away, join(fixture.runsDir, 'dynamic-s1'));
    await page.waitForSelector(`${legendRow('step/weights.emotion', 'dynamic-s1')}`);
    expect(errors).toEqual([]);
    // The view comes back from its URL.
    const again = await open(`?${searchOf(page).toString()}`);
    expect(searchOf(again).get('xr')).toBe(zoom);
    expect(await again.locator(`${chart('step/weights.emotion')} .legend tr`).count()).toBe(2);
    await again.close();
    // A double click zooms back out.
    await page.dblclick(`${chart('step/weights.emotion')} .u-over`);
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('xr'));
    await page.close();
  });

  it('shows confusion matrices raw and row-normalised', async () => {
    const page = await open('?tab=confusion&run=dynamic-s1');
    const final = evals(0).at(-1)!.tasks.emotion!.confusion;
    expect(await page.textContent('table.confusion td[data-cell="0,0"]')).toBe(String(final[0]![0]));
    await page.selectOption('select[name="epoch"]', '1');
    const first = evals(0)[0]!.tasks.emotion!.confusion;
    await page.waitForFunction(
      (v) => document.querySelector('table.confusion td[data-cell="0,0"]')?.textContent === v,
      String(first[0]![0]),
    );
    await page.check('input[name="row-normalised"]');
    const share = first[0]![0]! / first[0]!.reduce((a: number, b: number) => a + b, 0);
    await page.waitForFunction(
      (v) => document.querySelector('table.confusion td[data-cell="0,0"]')?.textContent === v,
      share.toFixed(2),
    );
    await page.selectOption('select[name="task"]', 'gender');
    await page.waitForSelector('table.confusion[data-task="gender"]');
    expect(await page.locator('table.confusion tbody tr').count()).toBe(2);
    await page.screenshot({ path: join(OUTPUT, 'confusion.png') });
    await page.close();
  });

  it('plays a clip, shows its face frames, and filters to the misclassified', async () => {
    const page = await open('?tab=media&run=dynamic-s1');
    expect(await page.locator('table.predictions tbody tr').count()).toBe(fixture.clips.length);
    await page.check('input[name="misclassified only"]');
    await page.waitForFunction(() => document.querySelectorAll('table.predictions tbody tr').length === 3);
    expect(await page.locator('table.predictions tbody tr td.wrong').count()).toBe(3);
    const clip = fixture.clips[1]!;
    await page.click(`table.predictions tr[data-clip="${clip.id}"]`);
    await page.waitForSelector('.clip-detail audio');
    const played = await page.$eval('.clip-detail audio', async (audio: HTMLAudioElement) => {
      await audio.play();
      await new Promise<void>((done) => {
        const check = () => (audio.currentTime > 0.2 ? done() : setTimeout(check, 20));
        check();
      });
      return { duration: audio.duration, time: audio.currentTime };
    });
    expect(played.duration).toBeCloseTo(clip.samples / 16_000, 2);
    expect(played.time).toBeGreaterThan(0.2);
    const width = await page.$eval('.clip-detail img.frames', async (img: HTMLImageElement) => {
      await img.decode();
      return [img.naturalWidth, img.naturalHeight];
    });
    expect(width).toEqual([Math.min(12, clip.frameCount) * 32, 32]);
    expect(searchOf(page).get('clip')).toBe(clip.id);
    await page.screenshot({ path: join(OUTPUT, 'media.png') });
    await page.close();
  });

  it('renders the experiment table', async () => {
    const page = await open('?tab=experiments');
    const best = page.locator('section[data-experiment="paper-grid"] td[data-metric="emotion.ua"].best');
    expect(await best.textContent()).toBe('0.731 ± 0.012');
    expect(await page.locator('section[data-experiment="paper-grid"] tbody tr').count()).toBe(2);
    await page.screenshot({ path: join(OUTPUT, 'experiments.png') });
    // A row shows its runs on the charts.
    await page.click('section[data-experiment="paper-grid"] tbody tr >> nth=0');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('runs') === 'dynamic-s1,dynamic-s2');
    expect(await page.isVisible('#tab-scalars')).toBe(true);
    await page.close();
  });
});

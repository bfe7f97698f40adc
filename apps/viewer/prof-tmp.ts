import { chromium } from 'playwright-core';
import { startViewer } from './src/index.ts';
import { writeRun } from './test/fixture-runs.ts';

const dir = '/tmp/prof-runs';
for (let i = 0; i < 150; i++)
  await writeRun(dir, {
    id: `run-${String(i).padStart(3, '0')}`,
    weighting: ['a', 'b', 'c'][i % 3],
    seed: i % 10,
    epochs: 20,
    stepsPerEpoch: 100,
  });
const viewer = await startViewer({ runs: dir, port: 0 });
await viewer.ready;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
await page.goto(viewer.url);
await page.waitForSelector('body[data-ready="true"]');
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
const phase = async (name: string, action: () => Promise<unknown>) => {
  const before = await page.evaluate(() => Number(document.body.dataset.renders ?? 0));
  await cdp.send('Profiler.start');
  const t = performance.now();
  await action();
  await page.waitForFunction((n) => Number(document.body.dataset.renders ?? 0) > n, before, { timeout: 300000 });
  await page.evaluate(() => new Promise((d) => requestAnimationFrame(() => requestAnimationFrame(d))));
  const took = performance.now() - t;
  const { profile } = await cdp.send('Profiler.stop');
  const self = new Map<string, number>();
  const dt = profile.timeDeltas!;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples!.forEach((id, i) => {
    const n = byId.get(id)!;
    const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
  });
  console.log(`\n== ${name}: ${took.toFixed(0)} ms`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 12))
    console.log(`${v.toFixed(0).padStart(6)} ms  ${k}`);
};
await phase('select all', () => page.check('input[data-select="*"]'));
await phase('smoothing', () => page.fill('#smoothing', '0.9'));
const box = (await page.locator('.chart .u-over').first().boundingBox())!;
await phase('zoom', async () => {
  await page.mouse.move(box.x + box.width * 0.3, box.y + 20);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + 20, { steps: 3 });
  await page.mouse.up();
});
await browser.close();
await viewer.close();

import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunListing, startViewer, type Viewer } from '../src/index.js';
import { writeClipCache, writeRun } from './fixture-runs.js';
import { rawGet, tempDir } from './helpers.js';

const temp = tempDir('security');
const SECRET = 'top secret, outside every served folder';
let viewer: Viewer;
let runsDir: string;
let cache: Awaited<ReturnType<typeof writeClipCache>>;

beforeAll(async () => {
  const outside = join(temp.dir, 'outside');
  runsDir = join(temp.dir, 'runs');
  const web = join(temp.dir, 'web');
  await mkdir(outside, { recursive: true });
  await mkdir(web, { recursive: true });
  await writeFile(join(web, 'index.html'), '<!doctype html><title>page</title>');
  await writeFile(join(outside, 'secret.txt'), SECRET);
  cache = await writeClipCache(temp.dir);

  await writeRun(runsDir, { id: 'ok', cacheDir: cache.cacheDir, clips: cache.clips });
  // A run folder linked out of the runs folder, with a config of its own.
  await writeRun(outside, { id: 'linked-run' });
  await symlink(join(outside, 'linked-run'), join(runsDir, 'linked-run'));
  // A run whose metrics file is linked to a file outside.
  await writeRun(runsDir, { id: 'linked-metrics' });
  await writeFile(
    join(outside, 'metrics.jsonl'),
    `${JSON.stringify({ kind: 'step', step: 1, epoch: 1, wallTime: 0 })}\n`,
  );
  const metrics = join(runsDir, 'linked-metrics', 'metrics.jsonl');
  await import('node:fs/promises').then((fs) => fs.rm(metrics));
  await symlink(join(outside, 'metrics.jsonl'), metrics);
  // A run whose cache holds an entry linked to a file outside the cache.
  const evilCache = join(temp.dir, 'evil-cache');
  const key = 'ab'.repeat(16);
  await mkdir(join(evilCache, 'clips', 'ab'), { recursive: true });
  const real = join(cache.cacheDir, 'clips', cache.clips[0]!.key.slice(0, 2), cache.clips[0]!.key);
  await writeFile(join(evilCache, 'clips', 'ab', `${key}.json`), await readFile(`${real}.json`));
  await symlink(`${real}.bin`, join(evilCache, 'clips', 'ab', `${key}.bin`));
  await writeRun(runsDir, {
    id: 'evil-cache',
    cacheDir: evilCache,
    clips: [{ ...cache.clips[0]!, id: 'linked', key }],
  });
  // A prediction whose cache key tries to walk out of the cache.
  const walk = join(runsDir, 'walking-key');
  await writeRun(runsDir, { id: 'walking-key', cacheDir: cache.cacheDir });
  await writeFile(
    join(walk, 'predictions.jsonl'),
    `${JSON.stringify({ clipId: 'c', split: 'test', truth: {}, probabilities: {}, cacheKey: '../../outside/secret' })}\n`,
  );
  viewer = await startViewer({ runs: runsDir, port: 0, webRoot: web, pollMs: 100 });
  await viewer.ready;
});
afterAll(async () => {
  await viewer.close();
  temp.remove();
});

describe('serves nothing outside the runs folder and the caches the runs name', () => {
  it.each([
    '/../outside/secret.txt',
    '/%2e%2e/outside/secret.txt',
    '/%2E%2E/%2e%2e/outside/secret.txt',
    '/..%2foutside%2fsecret.txt',
    '/..%5coutside%5csecret.txt',
    '/assets/../../outside/secret.txt',
    '/api/runs/..%2F..%2Foutside/metrics',
    '/api/runs/%2e%2e/metrics',
    '/api/runs/ok/clips/..%2f..%2f..%2foutside%2fsecret.txt/audio.wav',
    '/%00/secret.txt',
    '/%zz',
  ])('refuses %s', async (path) => {
    const response = await rawGet(viewer.url, path);
    expect([400, 404]).toContain(response.status);
    expect(response.body.toString()).not.toContain(SECRET);
  });

  it('does not list a run folder linked out of the runs folder', async () => {
    const runs = JSON.parse((await rawGet(viewer.url, '/api/runs')).body.toString()).runs as RunListing[];
    expect(runs.map((r) => r.id).sort()).toEqual(['evil-cache', 'linked-metrics', 'ok', 'walking-key']);
    expect((await rawGet(viewer.url, '/api/runs/linked-run/metrics')).status).toBe(404);
  });

  it('does not read a metrics file linked out of the run', async () => {
    const body = JSON.parse((await rawGet(viewer.url, '/api/runs/linked-metrics/metrics')).body.toString());
    expect(body.records).toBe(0);
    expect(body.sources).toEqual({});
  });

  it('does not follow a cache entry linked out of its cache, nor a key that walks', async () => {
    expect((await rawGet(viewer.url, '/api/runs/evil-cache/clips/linked/audio.wav')).status).toBe(404);
    const walking = await rawGet(viewer.url, '/api/runs/walking-key/clips/c/audio.wav');
    expect(walking.status).toBe(400);
    expect(walking.body.toString()).toMatch(/not a clip cache key/);
    // The same clip from a cache that holds it is served.
    expect((await rawGet(viewer.url, `/api/runs/ok/clips/${cache.clips[0]!.id}/audio.wav`)).status).toBe(200);
  });

  it('refuses a foreign Host while bound to loopback (DNS rebinding)', async () => {
    expect((await rawGet(viewer.url, '/api/runs', { Host: 'attacker.example:6006' })).status).toBe(403);
    expect((await rawGet(viewer.url, '/api/runs', { Host: 'localhost:6006' })).status).toBe(200);
  });

  it('serves the page itself with a strict content security policy', async () => {
    const { hostname, port } = new URL(viewer.url);
    const response = await fetch(`http://${hostname}:${port}/`);
    expect(await response.text()).toContain('<title>page</title>');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClipMediaError, clipAudioWav, clipFrameStrip, openCachedClip } from './clip-media.js';
import { readExperiments } from './experiments.js';
import { type RunsChange, RunsFolder } from './run-folder.js';
import { resolveInside } from './safe-path.js';

export interface ViewerOptions {
  /** The runs folder (runs/<id>/...). */
  runs: string;
  /** Folder of experiments/<name>/results.json; default `experiments` beside the runs folder. */
  experiments?: string;
  port?: number;
  host?: string;
  /** The built page; default the one built next to this file (dist/web). */
  webRoot?: string;
  /** How often the runs folder is polled for changes, in ms. */
  pollMs?: number;
}

export interface Viewer {
  url: string;
  server: Server;
  folder: RunsFolder;
  /** Resolves when the first scan of the runs folder is done. */
  ready: Promise<void>;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
};

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function defaultWebRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // From sources (tests, tsx) the page is the one built into dist/.
  return import.meta.url.endsWith('.ts') ? resolve(here, '../dist/web') : resolve(here, 'web');
}

/**
 * The path's segments, each percent-decoded. The raw path is split before decoding, and a
 * segment that is `.`/`..` or decodes to one holding a slash, backslash or NUL is refused,
 * so no spelling of a dot segment (`%2e%2e`, `..%2f`) reaches a file name.
 */
export function pathSegments(rawUrl: string): string[] {
  const path = rawUrl.split('?')[0]!;
  const segments = path.split('/').filter((s) => s !== '');
  return segments.map((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new HttpError(400, `bad percent-encoding in ${JSON.stringify(segment)}`);
    }
    if (decoded === '.' || decoded === '..' || /[\\/\0]/.test(decoded)) {
      throw new HttpError(400, `refused path segment ${JSON.stringify(segment)}`);
    }
    return decoded;
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  response.end(text);
}

function sendBytes(response: ServerResponse, type: string, bytes: Buffer, cache = 'no-store', range?: string) {
  const headers = { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': cache, 'Accept-Ranges': 'bytes' };
  // One byte range (what a media element asks for when it seeks); anything else gets the whole.
  const match = range === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(range);
  if (match && (match[1] !== '' || match[2] !== '')) {
    const start = match[1] === '' ? Math.max(0, bytes.length - Number(match[2])) : Number(match[1]);
    const end = match[1] === '' || match[2] === '' ? bytes.length - 1 : Math.min(Number(match[2]), bytes.length - 1);
    if (start > end || start >= bytes.length) {
      response.writeHead(416, { ...headers, 'Content-Range': `bytes */${bytes.length}` });
      response.end();
      return;
    }
    response.writeHead(206, {
      ...headers,
      'Content-Length': end - start + 1,
      'Content-Range': `bytes ${start}-${end}/${bytes.length}`,
    });
    response.end(bytes.subarray(start, end + 1));
    return;
  }
  response.writeHead(200, { ...headers, 'Content-Length': bytes.length });
  response.end(bytes);
}

/** Starts the read-only server over a runs folder and resolves once it listens. */
export async function startViewer(options: ViewerOptions): Promise<Viewer> {
  const runsDir = resolve(options.runs);
  const experimentsDir = resolve(options.experiments ?? resolve(runsDir, '..', 'experiments'));
  const webRoot = resolve(options.webRoot ?? defaultWebRoot());
  const host = options.host ?? '127.0.0.1';
  const boundToLoopback = host === 'localhost' || host === '::1' || host.startsWith('127.');
  const clients = new Set<ServerResponse>();
  const broadcast = (change: RunsChange) => {
    const message = `event: change\ndata: ${JSON.stringify(change)}\n\n`;
    for (const client of clients) client.write(message);
  };
  const folder = new RunsFolder(runsDir, broadcast);
  // The first scan goes on while the server answers: runs appear on the page as they are read.
  const ready = folder.refresh().then(() => {});
  const poll = setInterval(() => {
    folder.refresh().catch(() => {});
  }, options.pollMs ?? 1000);
  const heartbeat = setInterval(() => {
    for (const client of clients) client.write(': ping\n\n');
  }, 20_000);

  const runOf = (id: string | undefined) => {
    const run = id === undefined ? undefined : folder.get(id);
    if (!run) throw new HttpError(404, `no run ${JSON.stringify(id)} in ${runsDir}`);
    return run;
  };

  async function clipOf(runId: string, clipId: string) {
    const run = runOf(runId);
    const { records } = await run.readPredictions();
    const prediction = records.find((p) => p.clipId === clipId);
    if (!prediction) throw new HttpError(404, `run ${runId} has no prediction for clip ${JSON.stringify(clipId)}`);
    if (!prediction.cacheKey) throw new HttpError(404, `run ${runId}: clip ${clipId} names no cache key`);
    const cacheDir = run.config?.data?.cacheDir;
    if (!cacheDir) throw new HttpError(404, `run ${runId} names no clip cache`);
    return openCachedClip(cacheDir, prediction.cacheKey);
  }

  async function serveStatic(segments: string[], response: ServerResponse) {
    const names = segments.length === 0 ? ['index.html'] : segments;
    const path = await resolveInside(webRoot, ...names);
    if (!path) {
      if (segments.length === 0)
        throw new HttpError(503, `the page is not built (${webRoot}): run pnpm --filter mtl-viewer build`);
      throw new HttpError(404, 'not found');
    }
    const bytes = await readFile(path).catch(() => {
      throw new HttpError(404, 'not found');
    });
    const type = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
    sendBytes(response, type, bytes, segments[0] === 'assets' ? 'public, max-age=31536000, immutable' : 'no-cache');
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    if (request.method !== 'GET' && request.method !== 'HEAD') throw new HttpError(405, 'read-only: GET only');
    const hostName = (request.headers.host ?? '').replace(/:\d+$/, '');
    if (boundToLoopback && !LOOPBACK_NAMES.has(hostName)) {
      // Bound to loopback: a page on another origin that rebinds its name to 127.0.0.1 gets nothing.
      throw new HttpError(403, `host ${JSON.stringify(hostName)} refused`);
    }
    const segments = pathSegments(request.url ?? '/');
    const query = new URLSearchParams((request.url ?? '').split('?')[1] ?? '');
    if (segments[0] !== 'api') return serveStatic(segments, response);
    const [, resource, id, part, clipId, file] = segments;
    if (resource === 'runs' && id === undefined) {
      const ids = query.get('ids');
      return sendJson(response, 200, { runsDir, runs: folder.list(ids ? ids.split(',') : undefined) });
    }
    if (resource === 'runs' && part === 'metrics' && segments.length === 4) {
      const run = runOf(id);
      const from = Number(query.get('from') ?? 0);
      if (!Number.isInteger(from) || from < 0)
        throw new HttpError(400, `from must be a whole number >= 0, got ${query.get('from')}`);
      return sendJson(response, 200, {
        id,
        records: run.metrics?.records ?? 0,
        from,
        sources: run.metrics?.since(from) ?? {},
      });
    }
    if (resource === 'runs' && part === 'confusion' && segments.length === 4) {
      const run = runOf(id);
      return sendJson(response, 200, { id, tasks: run.config?.tasks ?? [], confusions: run.metrics?.confusions ?? [] });
    }
    if (resource === 'runs' && part === 'predictions' && segments.length === 4) {
      const run = runOf(id);
      const { records, problems } = await run.readPredictions();
      return sendJson(response, 200, { id, tasks: run.config?.tasks ?? [], predictions: records, problems });
    }
    if (resource === 'runs' && part === 'clips' && segments.length === 6 && file === 'audio.wav') {
      const wav = await clipAudioWav(await clipOf(id!, clipId!));
      return sendBytes(response, 'audio/wav', wav, 'private, max-age=3600', request.headers.range);
    }
    if (resource === 'runs' && part === 'clips' && segments.length === 6 && file === 'frames.jpg') {
      const count = Number(query.get('count') ?? 12);
      if (!Number.isInteger(count) || count < 1 || count > 64) throw new HttpError(400, 'count must be 1 to 64');
      return sendBytes(
        response,
        'image/jpeg',
        await clipFrameStrip(await clipOf(id!, clipId!), count),
        'private, max-age=3600',
      );
    }
    if (resource === 'experiments' && segments.length === 2) {
      return sendJson(response, 200, { experimentsDir, experiments: await readExperiments(experimentsDir) });
    }
    if (resource === 'events' && segments.length === 2) {
      response.writeHead(200, {
        ...SECURITY_HEADERS,
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      response.write(': connected\n\n');
      clients.add(response);
      request.on('close', () => clients.delete(response));
      return;
    }
    throw new HttpError(404, `no such API: ${request.url}`);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof HttpError || error instanceof ClipMediaError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (!response.headersSent) sendJson(response, status, { error: message });
      else response.end();
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 6006, host, () => done());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    server,
    folder,
    ready,
    async close() {
      clearInterval(poll);
      await ready.catch(() => {});
      clearInterval(heartbeat);
      for (const client of clients) client.end();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

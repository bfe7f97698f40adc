// `pnpm bench:torch [rounds]`: the compact preset's Adam step (audio + video, batch 8 x 3 s)
// here on wasm with 1 and 2 threads, and in PyTorch (bench/torch_compact_step.py: the same
// layers, padding, lengths and trainable parameter count) with 1 and 2 threads. Each
// configuration runs in its own process, the four back to back in every round, so each
// ratio compares runs of the same minutes on a shared machine. Prints every round's
// medians, then the median over rounds and the ratios. Without a Python that imports
// torch it says so and times the wasm side only.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.argv[2] ?? 3);
const [batch, seconds, steps] = ['8', '3', '15'];
const COMPACT_PARAMETERS = 132262;

/** MTL_PYTHON, else the first of `python3` on PATH and /usr/bin/python3 that imports torch. */
function findTorchPython(): string | undefined {
  const candidates = process.env.MTL_PYTHON ? [process.env.MTL_PYTHON] : ['python3', '/usr/bin/python3'];
  return candidates.find((python) => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
}

interface StepReport {
  stepMs: { median: number };
  parameters: number | { total: number };
}

function run(command: string, args: string[]): StepReport {
  const out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const report = JSON.parse(out.slice(out.indexOf('{'))) as StepReport;
  const parameters = typeof report.parameters === 'number' ? report.parameters : report.parameters.total;
  if (parameters !== COMPACT_PARAMETERS) {
    throw new Error(`${command} ${args.join(' ')}: ${parameters} trainable parameters, expected ${COMPACT_PARAMETERS}`);
  }
  return report;
}

const stepTime = join(here, 'step-time.ts');
const wasm = (threads: number) => () =>
  run(process.execPath, [
    '--conditions',
    '@mtl/source',
    '--import',
    'tsx',
    stepTime,
    ...['compact', 'wasm', batch, seconds, 'cnn', '--threads', String(threads), '--steps', steps],
  ]).stepMs.median;
const python = findTorchPython();
const torch = (threads: number) => () =>
  run(python!, [join(here, 'torch_compact_step.py'), String(threads), batch, seconds, steps]).stepMs.median;

const configs: Record<string, () => number> = { wasm1: wasm(1), wasm2: wasm(2) };
if (python === undefined) {
  console.log('PyTorch not found (no `python3` or /usr/bin/python3 imports torch; set MTL_PYTHON): timing wasm only');
} else {
  configs.torch1 = torch(1);
  configs.torch2 = torch(2);
}

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(configs).map((name) => [name, []]));
for (let round = 1; round <= rounds; round++) {
  const row: Record<string, number> = {};
  for (const [name, measure] of Object.entries(configs)) {
    row[name] = measure();
    samples[name]!.push(row[name]);
  }
  console.log(JSON.stringify({ round, stepMsMedian: row }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const ms = Object.fromEntries(Object.entries(samples).map(([name, xs]) => [name, median(xs)]));
const ratio = (a: number, b: number | undefined) => (b === undefined ? null : +(a / b).toFixed(2));
console.log(
  JSON.stringify({
    case: `compact preset Adam step, audio + video, batch ${batch} x ${seconds} s, ${COMPACT_PARAMETERS} parameters`,
    rounds,
    stepMsMedianOverRounds: ms,
    wasm1OverTorch1: ratio(ms.wasm1!, ms.torch1),
    wasm2OverTorch2: ratio(ms.wasm2!, ms.torch2),
    wasm1OverWasm2: ratio(ms.wasm1!, ms.wasm2),
    torch1OverTorch2: ratio(ms.torch1 ?? Number.NaN, ms.torch2),
  }),
);

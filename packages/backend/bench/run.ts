// pnpm bench: every case on wasm (1 and 2 threads) and cpu, one process each, then one
// JSON line per case with medians, effective GFLOP/s and the ratios the targets use.
// Last, one training step of @mtl/models' compact preset, through that package's own
// bench script (a workspace script, not a dependency: @mtl/models depends on this package).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
interface Row {
  case: string;
  backend: string;
  threads: number;
  forwardMs: number;
  trainMs: number;
  flops: number;
  trainFlops: number;
}

function measure(backend: string, threads: number): Row[] {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', join(here, 'measure.ts'), backend, String(threads), filter],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 24,
    },
  );
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Row);
}

const runs = { wasm: measure('wasm', 1), wasm2: measure('wasm', 2), cpu: measure('cpu', 1) };
const gflops = (flops: number, ms: number) => Number((flops / ms / 1e6).toFixed(2));
const matmul = runs.wasm.find((r) => r.case.startsWith('matmul'));
const matmulGflops = matmul ? gflops(matmul.flops, matmul.forwardMs) : undefined;

for (const row of runs.wasm) {
  const two = runs.wasm2.find((r) => r.case === row.case);
  const cpu = runs.cpu.find((r) => r.case === row.case);
  const side = (r: Row | undefined) =>
    r && {
      forwardMs: +r.forwardMs.toFixed(2),
      trainMs: +r.trainMs.toFixed(2),
      trainGflops: gflops(r.trainFlops, r.trainMs),
    };
  console.log(
    JSON.stringify({
      case: row.case,
      wasm: side(row),
      wasm2Threads: side(two),
      cpu: side(cpu),
      wasmTrainOverForward: +(row.trainMs / row.forwardMs).toFixed(2),
      cpuOverWasmTrain: cpu ? +(cpu.trainMs / row.trainMs).toFixed(1) : null,
      twoThreadSpeedup: two ? +(row.trainMs / two.trainMs).toFixed(2) : null,
      wasmMatmulGflops: matmulGflops,
      trainShareOfMatmul: matmulGflops ? +(gflops(row.trainFlops, row.trainMs) / matmulGflops).toFixed(2) : null,
    }),
  );
}

function modelStep(backend: string): { stepMs: { median: number }; flopsPerStep: number } | undefined {
  try {
    const out = execFileSync('pnpm', ['--silent', '--filter', '@mtl/models', 'bench', 'compact', backend, '8', '3'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const report = JSON.parse(out.slice(out.indexOf('{')));
    // Forward FLOPs of the batch's valid seconds, times 3 for forward + backward.
    const frameRate = report.framesPerClip / 3;
    const seconds = (report.lengths as number[]).reduce((a, b) => a + b, 0) / frameRate;
    return { stepMs: report.stepMs, flopsPerStep: 3 * report.gflopsPerSecondOfInput.total * 1e9 * seconds };
  } catch (error) {
    console.error(`compact training step on ${backend} not measured: ${String(error).split('\n')[0]}`);
    return undefined;
  }
}

if (!filter) {
  const wasmStep = modelStep('wasm');
  const cpuStep = modelStep('cpu');
  if (wasmStep) {
    const stepGflops = gflops(wasmStep.flopsPerStep, wasmStep.stepMs.median);
    console.log(
      JSON.stringify({
        case: 'training step, compact preset, audio + video, batch 8 x 3 s',
        wasm: { trainMs: wasmStep.stepMs.median, trainGflops: stepGflops },
        cpu: cpuStep && { trainMs: cpuStep.stepMs.median },
        cpuOverWasmTrain: cpuStep ? +(cpuStep.stepMs.median / wasmStep.stepMs.median).toFixed(1) : null,
        wasmMatmulGflops: matmulGflops,
        trainShareOfMatmul: matmulGflops ? +(stepGflops / matmulGflops).toFixed(3) : null,
      }),
    );
  }
}

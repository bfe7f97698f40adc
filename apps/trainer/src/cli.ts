import { type CommandSpec, createProgram, runProgram } from './command.js';
import { demoCommand } from './commands/demo.js';
import { evalCommand } from './commands/eval.js';
import { experimentCommand } from './commands/experiment.js';
import { modelInfoCommand } from './commands/model-info.js';
import { predictCommand } from './commands/predict.js';
import { prepareCommand } from './commands/prepare.js';
import { synthCommand } from './commands/synth.js';
import { trainCommand } from './commands/train.js';
import { workerCommand } from './commands/worker.js';
import { EXIT } from './errors.js';
import type { OptionSpecs } from './option-types.js';

const COMMANDS = [
  synthCommand,
  prepareCommand,
  trainCommand,
  evalCommand,
  predictCommand,
  modelInfoCommand,
  experimentCommand,
  workerCommand,
  demoCommand,
] as unknown as CommandSpec<OptionSpecs>[];

const program = createProgram(
  'mtl-trainer',
  `Multi-task, multimodal (audio + face video) emotion and gender recognition on TensorFlow.js:
synthesise or prepare a corpus, train, evaluate, predict, and run the paper's comparison grid.`,
  COMMANDS,
).version('0.1.0');
program.addHelpText(
  'after',
  `
Start here:
  $ mtl-trainer demo                        synthetic corpus -> prepare -> small grid -> table
  $ mtl-trainer <command> --help            options and examples of one command

Exit codes: 0 done, 1 failed, 2 wrong command line or config, 3 partly done (bad inputs listed), 130 interrupted.`,
);

// A cell spawned by `experiment` or `worker` (over an IPC channel) exits with its parent, so a
// killed worker leaves no orphan writing to the run that another worker resumes.
if (process.channel) {
  process.channel.unref();
  process.on('disconnect', () => process.exit(EXIT.interrupted));
}

process.exitCode = await runProgram(program, process.argv);

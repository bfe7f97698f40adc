import { readManifest } from '@mtl/datasets';
import { modelCost, presetConfig } from '@mtl/models';
import { defineCommand } from '../command.js';
import { choice, flag, path } from '../option-types.js';
import { readPreparedData } from '../prepared-data.js';

const fmt = (n: number) => n.toLocaleString('en-US');
const sci = (n: number) => n.toExponential(3);

export const modelInfoCommand = defineCommand({
  name: 'model-info',
  summary: 'parameters, FLOPs per second of input, shared vs per-task heads of a preset',
  options: {
    preset: choice('model preset', ['compact', 'paper'] as const, { default: 'compact' }),
    modal: choice('input streams', ['audio', 'video', 'multi'] as const, { default: 'multi' }),
    data: path('take the tasks and class counts from this prepared data folder', {
      value: 'DIR',
      defaultDoc: 'emotion (4 classes) and gender (2)',
    }),
    json: flag('print the result as JSON'),
  },
  examples: [
    ['mtl-trainer model-info', 'the compact multimodal model'],
    ['mtl-trainer model-info --preset paper --modal audio --json', "the paper's AudioNet model, as JSON"],
  ],
  async run(options, context) {
    let tasks = [
      { name: 'emotion', classes: 4 },
      { name: 'gender', classes: 2 },
    ];
    if (options.data) {
      const manifest = await readManifest((await readPreparedData(options.data)).manifest);
      tasks = [
        { name: 'emotion', classes: manifest.emotionClasses.length },
        { name: 'gender', classes: manifest.genderClasses.length },
      ];
    }
    const config = presetConfig(options.preset, { modal: options.modal, tasks });
    const cost = modelCost(config);
    context.print({ preset: options.preset, modal: options.modal, tasks, ...cost }, () => {
      const p = cost.parameters;
      const f = cost.flopsPerSecond;
      return [
        `${options.preset} preset, ${options.modal} (${config.fps} frames/s, tasks ${tasks.map((t) => `${t.name} ${t.classes}`).join(', ')})`,
        `parameters  ${fmt(p.total)} trainable: shared ${fmt(p.shared)} (audio ${fmt(p.audio)}, video ${fmt(p.video)}, fusion ${fmt(p.fusion)}), heads ${fmt(p.heads)}${p.frozen > 0 ? `; frozen ${fmt(p.frozen)}` : ''}`,
        `FLOPs/s     ${sci(f.total)} forward per second of input (audio ${sci(f.audio)}, video ${sci(f.video)}, fusion ${sci(f.fusion)})`,
        `video       ${sci(cost.videoFlopsPerFrame)} FLOPs per frame; heads ${fmt(cost.headFlopsPerClip)} FLOPs per clip`,
      ].join('\n');
    });
    return undefined;
  },
});

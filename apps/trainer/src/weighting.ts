import { createStrategy, describeStrategies, strategyNames } from '@mtl/dynamic-loss';
import { usageError } from './errors.js';

export const WEIGHTING_NAMES = strategyNames();

/** Every @mtl/dynamic-loss method with its rule and options, from the package's own descriptions. */
export function weightingHelp(): string {
  const lines = ['Weighting methods (--weighting NAME, options as --weighting-option KEY=VALUE):'];
  for (const method of describeStrategies()) {
    lines.push(`  ${method.name.padEnd(12)} ${method.summary}`);
    lines.push(`  ${''.padEnd(12)} ${method.paper.authors} ${method.paper.year}, ${method.paper.url}`);
    for (const option of method.options) {
      lines.push(`  ${''.padEnd(14)}${option.name}: ${option.doc} (default: ${option.default})`);
    }
  }
  return lines.join('\n');
}

/** Builds the strategy once to check a method's options (the error names both and lists the valid ones), then frees it. */
export function checkWeighting(method: string, options: Record<string, unknown>, where: string): void {
  try {
    createStrategy(method, { tasks: ['emotion', 'gender'], ...options }).dispose();
  } catch (error) {
    throw usageError(`${where}: ${(error as Error).message.replace(/^createStrategy/, 'weighting')}`);
  }
}

import type { OptionSpecs, ParsedOptions } from './options.js';
import type { WeightingStrategy } from './strategy.js';

export interface PaperReference {
  title: string;
  authors: string;
  venue: string;
  year: number;
  url: string;
}

/** A registry entry: how to describe a method and how to build it from checked options. */
export interface MethodDefinition<O> {
  name: string;
  /** The rule in one line, for help text. */
  summary: string;
  paper: PaperReference;
  options: OptionSpecs<O>;
  create(tasks: readonly string[], options: ParsedOptions<O>): WeightingStrategy;
}

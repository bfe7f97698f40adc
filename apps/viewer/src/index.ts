export { type ExperimentListing, readExperiments } from './experiments.js';
export {
  type ConfusionEntry,
  MetricsLog,
  type SeriesSource,
  type SeriesStats,
  type SourceColumns,
} from './metrics-log.js';
export { CLI_OPTIONS, CliError, type CliValues, helpText, parseCli } from './options.js';
export { type RunListing, type RunsChange, RunsFolder } from './run-folder.js';
export { startViewer, type Viewer, type ViewerOptions } from './server.js';

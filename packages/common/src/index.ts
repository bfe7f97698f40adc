export {
  type AtomicContent,
  hostTag,
  isAtomicTempFile,
  processAlive,
  removeStaleTempFiles,
  type StaleTempOptions,
  syncFolder,
  TEMP_SUFFIX,
  writeFileAtomic,
} from './atomic-write.js';
export { type FileLockOptions, withFileLock } from './file-lock.js';
export { samplesPerFrame } from './frames.js';
export { hashSeed, type RandomState, SeededRandom } from './seeded-random.js';

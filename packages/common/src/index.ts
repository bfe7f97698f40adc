export { type AtomicContent, isAtomicTempFile, syncFolder, TEMP_SUFFIX, writeFileAtomic } from './atomic-write.js';
export { samplesPerFrame } from './frames.js';
export { hashSeed, type RandomState, SeededRandom } from './seeded-random.js';

import { join } from 'node:path';
import { readLines } from '../corpus-files.js';
import { GENDER_CLASSES, type Gender, type Manifest } from '../manifest.js';
import { CorpusError, type LoadOptions, ManifestBuilder, requireCorpusRoot } from '../manifest-builder.js';
import { SYNTHETIC_LABELS_FILE, SYNTHETIC_LABELS_HEADER } from './generate-corpus.js';

/** Reads a corpus written by generateSyntheticCorpus, exactly as the other loaders read theirs. */
export async function loadSynthetic(root: string, options: LoadOptions = {}): Promise<Manifest> {
  await requireCorpusRoot(root);
  const builder = new ManifestBuilder('synthetic', root, options);
  const labelsPath = join(builder.root, SYNTHETIC_LABELS_FILE);
  const read = await readLines(labelsPath);
  if ('error' in read)
    throw new CorpusError(labelsPath, `the labels file ${read.error}: not a synthetic corpus folder`);
  const { lines } = read;
  if (lines[0]?.trim() !== SYNTHETIC_LABELS_HEADER) {
    throw new CorpusError(
      labelsPath,
      `expected the header '${SYNTHETIC_LABELS_HEADER}', found ${JSON.stringify(lines[0])}`,
    );
  }
  const seen = new Set<string>();
  for (const [i, line] of lines.entries()) {
    if (i === 0 || line.trim() === '') continue;
    const where = `${SYNTHETIC_LABELS_FILE}:${i + 1}`;
    const cells = line.split(',').map((c) => c.trim());
    const [id, speaker, gender, code, audioPath, videoPath] = cells as [string, string, string, string, string, string];
    if (cells.length !== 6 || !id || !speaker || !audioPath) {
      builder.skip(
        'malformed-labels',
        where,
        `malformed row (expected ${SYNTHETIC_LABELS_HEADER}): ${JSON.stringify(line)}`,
      );
      continue;
    }
    if (!(GENDER_CLASSES as readonly string[]).includes(gender)) {
      builder.skip('malformed-labels', where, `unknown gender '${gender}' (expected female or male)`, id);
      continue;
    }
    if (seen.has(id)) {
      builder.skip('malformed-labels', where, `clip '${id}' is listed twice; the first row is kept`, id);
      continue;
    }
    seen.add(id);
    const emotion = builder.emotion(code, where, id);
    if (!emotion) continue;
    const wantVideo = builder.modalities.has('video');
    if (wantVideo && !videoPath) {
      builder.skip('incomplete', where, 'the clip has no video (the corpus was generated with video: false)', id);
      continue;
    }
    if (builder.modalities.has('audio') && !(await builder.usableMedia(audioPath, id))) continue;
    if (wantVideo && !(await builder.usableMedia(videoPath, id))) continue;
    builder.add({
      id,
      speaker,
      gender: gender as Gender,
      emotion,
      ...(builder.modalities.has('audio') ? { audio: { path: audioPath } } : {}),
      ...(wantVideo ? { video: { path: videoPath } } : {}),
    });
  }
  return builder.finish();
}

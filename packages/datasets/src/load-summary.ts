import type { Manifest, SkipKind } from './manifest.js';

export interface ManifestSummary {
  corpus: string;
  emotionMap: string;
  clips: number;
  perClass: Record<string, number>;
  perGender: Record<string, number>;
  perSpeaker: Record<string, number>;
  skipped: number;
  skippedPerKind: Partial<Record<SkipKind, number>>;
  excluded: Record<string, number>;
}

const increment = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** Clips per class, per gender and per speaker, and what was skipped or left out and why. */
export function summarizeManifest(manifest: Manifest): ManifestSummary {
  const perClass: Record<string, number> = Object.fromEntries(manifest.emotionClasses.map((c) => [c, 0]));
  const perGender: Record<string, number> = Object.fromEntries(manifest.genderClasses.map((g) => [g, 0]));
  const perSpeaker: Record<string, number> = {};
  for (const entry of manifest.entries) {
    increment(perClass, entry.emotion.label);
    increment(perGender, entry.gender);
    increment(perSpeaker, entry.speaker);
  }
  const skippedPerKind: Partial<Record<SkipKind, number>> = {};
  for (const item of manifest.skipped) skippedPerKind[item.kind] = (skippedPerKind[item.kind] ?? 0) + 1;
  return {
    corpus: manifest.corpus,
    emotionMap: manifest.emotionMap,
    clips: manifest.entries.length,
    perClass,
    perGender,
    perSpeaker: Object.fromEntries(Object.entries(perSpeaker).sort(([a], [b]) => a.localeCompare(b))),
    skipped: manifest.skipped.length,
    skippedPerKind,
    excluded: manifest.excluded,
  };
}

const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** The human-readable report a loader prints; lists each skipped file with its reason (the first `maxSkipped`). */
export function formatSummary(manifest: Manifest, maxSkipped = 20): string {
  const s = summarizeManifest(manifest);
  const lines = [
    `${s.corpus} (${manifest.root}): ${s.clips} clips, emotion map '${s.emotionMap}'`,
    `  per class:   ${counts(s.perClass)}`,
    `  per gender:  ${counts(s.perGender)}`,
    `  per speaker: ${counts(s.perSpeaker)}`,
  ];
  if (Object.keys(s.excluded).length > 0) lines.push(`  left out:    ${counts(s.excluded)}`);
  if (s.skipped > 0) {
    lines.push(`  skipped:     ${s.skipped} (${counts(s.skippedPerKind as Record<string, number>)})`);
    for (const item of manifest.skipped.slice(0, maxSkipped)) lines.push(`    ${item.path}: ${item.reason}`);
    if (s.skipped > maxSkipped) lines.push(`    ... and ${s.skipped - maxSkipped} more (see manifest.skipped)`);
  }
  return lines.join('\n');
}

import { open } from 'node:fs/promises';

const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes);

/**
 * Whether an MP4/MOV (ISO base media) file looks cut off, from its top-level boxes alone:
 * a box that runs past the end of the file, or no `moov` box (the index, written last by
 * most encoders) at all. Undefined when the file is whole or is no ISO media file.
 */
export async function isoMediaTruncation(path: string): Promise<string | undefined> {
  const file = await open(path, 'r').catch(() => undefined);
  if (file === undefined) return undefined;
  try {
    const { size } = await file.stat();
    const header = new Uint8Array(16);
    let offset = 0;
    let sawMoov = false;
    for (let boxes = 0; offset + 8 <= size; boxes++) {
      await file.read(header, 0, 16, offset);
      const view = new DataView(header.buffer);
      const type = ascii(header.subarray(4, 8));
      if (boxes === 0 && type !== 'ftyp') return undefined;
      let boxSize = view.getUint32(0);
      if (boxSize === 1) boxSize = Number(view.getBigUint64(8));
      else if (boxSize === 0) boxSize = size - offset; // runs to the end of the file
      if (boxSize < 8) return `its '${type}' box at byte ${offset} declares ${boxSize} bytes, less than a box header`;
      if (offset + boxSize > size) {
        return `its '${type}' box at byte ${offset} needs ${boxSize} bytes, but the file ends ${size - offset} bytes into it`;
      }
      if (type === 'moov') sawMoov = true;
      offset += boxSize;
    }
    return sawMoov ? undefined : "it has no 'moov' box (the index that says where the frames are)";
  } finally {
    await file.close();
  }
}

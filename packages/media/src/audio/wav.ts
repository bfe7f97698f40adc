/** What a WAV file holds, read from its `fmt ` chunk. */
export interface WavFormat {
  sampleRate: number;
  channelCount: number;
  /** `pcm`: signed integers (unsigned for 8-bit); `float`: IEEE floats. */
  encoding: 'pcm' | 'float';
  /** Container size of one sample. */
  bitsPerSample: 8 | 16 | 24 | 32 | 64;
  /** Frames (one sample per channel) in the data chunk as stored. */
  frameCount: number;
  /** True when the data chunk claims more bytes than the file holds (a cut-off recording). */
  truncated: boolean;
}

export interface DecodeWavOptions {
  /** Channel index to keep, or `mix` for the mean of all channels. Default `mix`. */
  channel?: number | 'mix';
  /** First second to decode. Default 0. */
  start?: number;
  /** Second to stop at (exclusive); default the end of the data. */
  end?: number;
  /** Name used in error messages, usually the file path. */
  source?: string;
}

export interface DecodedWav extends WavFormat {
  /** The chosen channel (or mix) from `start` to `end`, in [-1, 1]. */
  samples: Float32Array;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** A streamed WAV (ffmpeg writing to a pipe, for one) cannot go back to fill in sizes. */
const UNKNOWN_SIZES = new Set([0, 0xffffffff]);

const fourCC = (view: DataView, offset: number) =>
  String.fromCharCode(
    view.getUint8(offset),
    view.getUint8(offset + 1),
    view.getUint8(offset + 2),
    view.getUint8(offset + 3),
  );

/** True when the bytes start like a RIFF/RF64 WAVE file. */
export function looksLikeWav(bytes: Uint8Array): boolean {
  if (bytes.length < 12) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 12);
  return (fourCC(view, 0) === 'RIFF' || fourCC(view, 0) === 'RF64') && fourCC(view, 8) === 'WAVE';
}

interface Layout extends Omit<WavFormat, 'frameCount' | 'truncated'> {
  blockAlign: number;
  dataOffset: number;
  dataBytes: number;
  truncated: boolean;
}

/**
 * The chunk layout of a WAV from its first bytes. `fileBytes` is the whole file's size
 * when `bytes` holds only its start (the header): the data chunk's header must be in it.
 */
function readLayout(bytes: Uint8Array, source: string, fileBytes = bytes.length): Layout {
  const fail = (problem: string): never => {
    throw new Error(`decodeWav: ${source}: ${problem}`);
  };
  if (bytes.length === 0) fail('file is empty (0 bytes)');
  if (!looksLikeWav(bytes)) fail('not a WAV file (no RIFF/RF64 WAVE header)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isRf64 = fourCC(view, 0) === 'RF64';
  let rf64DataBytes: number | undefined;
  let format: Omit<Layout, 'dataOffset' | 'dataBytes' | 'truncated'> | undefined;
  let data: { offset: number; declared: number } | undefined;
  // Chunks may come in any order, with LIST/fact/JUNK/bext between them; odd sizes are padded.
  for (let offset = 12; offset + 8 <= bytes.length; ) {
    const id = fourCC(view, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'ds64' && isRf64) {
      rf64DataBytes = Number(view.getBigUint64(body + 8, true));
    } else if (id === 'fmt ') {
      format = readFormat(view, body, size, bytes.length, fail);
    } else if (id === 'data') {
      const declared = isRf64 && size === 0xffffffff && rf64DataBytes !== undefined ? rf64DataBytes : size;
      data = { offset: body, declared };
      // A data chunk of unknown size runs to the end of the file: nothing can follow it.
      if (UNKNOWN_SIZES.has(declared)) break;
    }
    offset = body + size + (size % 2);
  }
  if (format === undefined) return fail('no fmt chunk');
  if (data === undefined) return fail('no data chunk');
  const available = fileBytes - data.offset;
  const declared = UNKNOWN_SIZES.has(data.declared) ? available : data.declared;
  const dataBytes = Math.min(declared, available);
  return {
    ...format,
    dataOffset: data.offset,
    dataBytes: dataBytes - (dataBytes % format.blockAlign),
    truncated: declared > available,
  };
}

function readFormat(
  view: DataView,
  body: number,
  size: number,
  fileBytes: number,
  fail: (problem: string) => never,
): Omit<Layout, 'dataOffset' | 'dataBytes' | 'truncated'> {
  if (size < 16 || body + 16 > fileBytes) fail(`fmt chunk is ${size} bytes; needs at least 16`);
  let code = view.getUint16(body, true);
  const channelCount = view.getUint16(body + 2, true);
  const sampleRate = view.getUint32(body + 4, true);
  const blockAlign = view.getUint16(body + 12, true);
  const bitsPerSample = view.getUint16(body + 14, true);
  if (code === WAVE_FORMAT_EXTENSIBLE) {
    if (size < 40 || body + 26 > fileBytes) fail('WAVE_FORMAT_EXTENSIBLE fmt chunk is too short');
    code = view.getUint16(body + 24, true); // first two bytes of the sub-format GUID
  }
  const encoding = code === WAVE_FORMAT_PCM ? 'pcm' : code === WAVE_FORMAT_IEEE_FLOAT ? 'float' : undefined;
  if (encoding === undefined)
    return fail(`unsupported WAV format code 0x${code.toString(16)} (only PCM and IEEE float)`);
  const validBits = encoding === 'pcm' ? [8, 16, 24, 32].includes(bitsPerSample) : [32, 64].includes(bitsPerSample);
  if (!validBits) fail(`unsupported ${encoding} sample size ${bitsPerSample} bits`);
  if (channelCount < 1) fail('fmt chunk declares 0 channels');
  if (sampleRate < 1) fail('fmt chunk declares a sample rate of 0');
  if (blockAlign !== (channelCount * bitsPerSample) / 8) {
    fail(`block align ${blockAlign} does not match ${channelCount} channels x ${bitsPerSample} bits`);
  }
  return { sampleRate, channelCount, encoding, bitsPerSample: bitsPerSample as WavFormat['bitsPerSample'], blockAlign };
}

/** Reads one sample at a byte offset as a float in [-1, 1]. */
function sampleReader(view: DataView, encoding: 'pcm' | 'float', bits: number): (offset: number) => number {
  if (encoding === 'float') {
    return bits === 32 ? (o) => view.getFloat32(o, true) : (o) => view.getFloat64(o, true);
  }
  switch (bits) {
    case 8:
      return (o) => (view.getUint8(o) - 128) / 128;
    case 16:
      return (o) => view.getInt16(o, true) / 32768;
    case 24:
      return (o) =>
        ((view.getUint8(o) | (view.getUint8(o + 1) << 8) | (view.getInt8(o + 2) << 16)) as number) / 8388608;
    default:
      return (o) => view.getInt32(o, true) / 2147483648;
  }
}

/** Bytes of the WAV header read first; a file whose chunks before `data` are longer is read further. */
const HEADER_BYTES = 64 * 1024;

/**
 * Reads a WAV file's header, then only the bytes of the requested cut and channel range:
 * memory follows the cut, not the file (a 6 s cut of a 10-minute recording reads 6 s).
 * `truncated` in the result says the data chunk promises more than the file holds.
 */
export async function readWavFile(path: string, options: Omit<DecodeWavOptions, 'source'> = {}): Promise<DecodedWav> {
  const { open } = await import('node:fs/promises');
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    let head = new Uint8Array(0);
    let layout: Layout | undefined;
    for (let want = Math.min(size, HEADER_BYTES); layout === undefined; want = Math.min(size, want * 4)) {
      head = new Uint8Array(want);
      await file.read(head, 0, want, 0);
      try {
        layout = readLayout(head, path, size);
      } catch (error) {
        // 'no data chunk' in a header cut short by our read: read more of it.
        if (want >= size || !(error as Error).message.endsWith('no data chunk')) throw error;
      }
    }
    const frameCount = layout.dataBytes / layout.blockAlign;
    const startFrame = Math.min(frameCount, Math.max(0, Math.round((options.start ?? 0) * layout.sampleRate)));
    const endFrame = Math.min(
      frameCount,
      options.end === undefined ? frameCount : Math.round(options.end * layout.sampleRate),
    );
    if (endFrame < startFrame) {
      throw new Error(`decodeWav: ${path}: end ${options.end} s is before start ${options.start ?? 0} s`);
    }
    const cutBytes = (endFrame - startFrame) * layout.blockAlign;
    // The cut as a WAV of its own: a canonical header, then the cut's bytes.
    const cut = new Uint8Array(44 + cutBytes);
    writeCanonicalHeader(new DataView(cut.buffer), layout, cutBytes);
    await file.read(cut, 44, cutBytes, layout.dataOffset + startFrame * layout.blockAlign);
    const decoded = decodeWav(cut, { source: path, channel: options.channel });
    return { ...decoded, frameCount, truncated: layout.truncated };
  } finally {
    await file.close();
  }
}

function writeCanonicalHeader(view: DataView, layout: Layout, dataBytes: number) {
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < 4; i++) view.setUint8(offset + i, text.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, layout.encoding === 'pcm' ? WAVE_FORMAT_PCM : WAVE_FORMAT_IEEE_FLOAT, true);
  view.setUint16(22, layout.channelCount, true);
  view.setUint32(24, layout.sampleRate, true);
  view.setUint32(28, layout.sampleRate * layout.blockAlign, true);
  view.setUint16(32, layout.blockAlign, true);
  view.setUint16(34, layout.bitsPerSample, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
}

/**
 * Decodes a WAV file to one Float32Array: PCM 8/16/24/32-bit, float 32/64,
 * WAVE_FORMAT_EXTENSIBLE, RF64, any chunk order, streamed files with unknown sizes, and
 * cut-off files (what is there is decoded, `truncated` says so). Only the requested channel
 * and time range are converted, so a long multi-channel recording costs no more than the cut.
 */
export function decodeWav(bytes: Uint8Array, options: DecodeWavOptions = {}): DecodedWav {
  const source = options.source ?? 'WAV bytes';
  const layout = readLayout(bytes, source);
  const { sampleRate, channelCount, blockAlign } = layout;
  const frameCount = layout.dataBytes / blockAlign;
  const channel = options.channel ?? 'mix';
  if (channel !== 'mix' && !(Number.isInteger(channel) && channel >= 0 && channel < channelCount)) {
    throw new Error(`decodeWav: ${source}: channel ${channel} does not exist (the file has ${channelCount})`);
  }
  const startFrame = Math.min(frameCount, Math.max(0, Math.round((options.start ?? 0) * sampleRate)));
  const endFrame = Math.min(frameCount, options.end === undefined ? frameCount : Math.round(options.end * sampleRate));
  if (endFrame < startFrame) {
    throw new Error(`decodeWav: ${source}: end ${options.end} s is before start ${options.start ?? 0} s`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = sampleReader(view, layout.encoding, layout.bitsPerSample);
  const sampleBytes = layout.bitsPerSample / 8;
  const samples = new Float32Array(endFrame - startFrame);
  let offset = layout.dataOffset + startFrame * blockAlign;
  if (channel === 'mix') {
    const scale = 1 / channelCount;
    for (let i = 0; i < samples.length; i++, offset += blockAlign) {
      let sum = 0;
      for (let c = 0; c < channelCount; c++) sum += read(offset + c * sampleBytes);
      samples[i] = sum * scale;
    }
  } else {
    offset += channel * sampleBytes;
    for (let i = 0; i < samples.length; i++, offset += blockAlign) samples[i] = read(offset);
  }
  return {
    sampleRate,
    channelCount,
    encoding: layout.encoding,
    bitsPerSample: layout.bitsPerSample,
    frameCount,
    truncated: layout.truncated,
    samples,
  };
}

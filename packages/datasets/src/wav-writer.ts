/**
 * Encodes samples in [-1, 1] as a 16-bit PCM WAV file. One Float32Array per channel;
 * values outside [-1, 1] are clipped.
 */
export function encodeWav(channels: Float32Array | Float32Array[], sampleRate: number): Uint8Array {
  const list = Array.isArray(channels) ? channels : [channels];
  if (list.length === 0) throw new Error('encodeWav: expected at least one channel');
  const frames = list[0]?.length ?? 0;
  if (list.some((c) => c.length !== frames))
    throw new Error(`encodeWav: channels differ in length (${list.map((c) => c.length).join(', ')})`);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0)
    throw new Error(`encodeWav: sampleRate must be a positive integer, got ${sampleRate}`);
  const blockAlign = list.length * 2;
  const dataBytes = frames * blockAlign;
  const bytes = new Uint8Array(44 + dataBytes);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) bytes[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, list.length, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  let offset = 44;
  for (let i = 0; i < frames; i++) {
    for (const channel of list) {
      const v = Math.max(-1, Math.min(1, channel[i] as number));
      view.setInt16(offset, Math.round(v < 0 ? v * 0x8000 : v * 0x7fff), true);
      offset += 2;
    }
  }
  return bytes;
}

import type { Expression } from './emotion-style.js';
import type { SpeakerProfile } from './speaker-profile.js';

type Rgb = readonly [number, number, number];

const EYE_WHITE: Rgb = [245, 245, 245];
const PUPIL: Rgb = [30, 30, 40];
const LIPS: Rgb = [170, 70, 70];
const MOUTH_INSIDE: Rgb = [40, 10, 15];

export interface FaceFrameOptions {
  width: number;
  height: number;
  expression: Expression;
  /** 0 closed .. 1 wide open; follows the audio energy of the frame. */
  mouthOpen: number;
  /** Head offset in pixels (a slight sway, so frames are not static). */
  offsetX?: number;
  offsetY?: number;
}

/** An RGB frame painter: each primitive visits only its bounding box. */
class Canvas {
  readonly pixels: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb,
  ) {
    this.pixels = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) this.pixels.set(background, i * 3);
  }

  private paintBox(
    x0: number,
    x1: number,
    y0: number,
    y1: number,
    inside: (x: number, y: number) => boolean,
    colour: Rgb,
  ) {
    const xa = Math.max(0, Math.floor(x0));
    const xb = Math.min(this.width - 1, Math.ceil(x1));
    const ya = Math.max(0, Math.floor(y0));
    const yb = Math.min(this.height - 1, Math.ceil(y1));
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) if (inside(x + 0.5, y + 0.5)) this.pixels.set(colour, (y * this.width + x) * 3);
    }
  }

  ellipse(cx: number, cy: number, rx: number, ry: number, colour: Rgb) {
    if (rx <= 0 || ry <= 0) return;
    this.paintBox(
      cx - rx,
      cx + rx,
      cy - ry,
      cy + ry,
      (x, y) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1,
      colour,
    );
  }

  rect(x0: number, y0: number, x1: number, y1: number, colour: Rgb) {
    this.paintBox(x0, x1, y0, y1, (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1, colour);
  }

  /** A thick line segment. */
  stroke(ax: number, ay: number, bx: number, by: number, thickness: number, colour: Rgb) {
    const dx = bx - ax;
    const dy = by - ay;
    const length2 = dx * dx + dy * dy || 1;
    const half = thickness / 2;
    this.paintBox(
      Math.min(ax, bx) - half,
      Math.max(ax, bx) + half,
      Math.min(ay, by) - half,
      Math.max(ay, by) + half,
      (x, y) => {
        const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / length2));
        return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= half * half;
      },
      colour,
    );
  }

  /** The region between two curves over [x0, x1]: top(x) <= y <= bottom(x). */
  between(x0: number, x1: number, top: (x: number) => number, bottom: (x: number) => number, colour: Rgb) {
    let y0 = Number.POSITIVE_INFINITY;
    let y1 = Number.NEGATIVE_INFINITY;
    for (let x = x0; x <= x1; x += 0.5) {
      y0 = Math.min(y0, top(x));
      y1 = Math.max(y1, bottom(x));
    }
    this.paintBox(x0, x1, y0, y1, (x, y) => x >= x0 && x <= x1 && y >= top(x) && y <= bottom(x), colour);
  }
}

/**
 * Renders one RGB frame (width x height x 3 bytes, row-major) of a speaker's face: head,
 * hair, eyes, brows and a mouth. The emotion's expression sets the mouth corners, brow tilt
 * and height, and eye opening; `mouthOpen` opens the lips (it follows the audio energy).
 */
export function renderFace(speaker: SpeakerProfile, options: FaceFrameOptions): Uint8Array {
  const { width: w, height: h, expression: e } = options;
  const { look } = speaker;
  const canvas = new Canvas(w, h, look.background);
  const cx = w / 2 + (options.offsetX ?? 0);
  const cy = h * 0.52 + (options.offsetY ?? 0);
  const rx = look.faceWidth * w;
  const ry = look.faceHeight * h;

  canvas.ellipse(cx, cy - ry * 0.12, rx * 1.1, ry * 1.0, look.hair);
  if (look.longHair) canvas.rect(cx - rx * 1.1, cy - ry * 0.2, cx + rx * 1.1, cy + ry * 0.85, look.hair);
  canvas.ellipse(cx, cy, rx, ry, look.skin);

  const eyeY = cy - ry * 0.2;
  const eyeRx = Math.max(1.5, w * 0.06);
  const eyeRy = Math.max(0.6, eyeRx * 0.75 * e.eyeOpen);
  const browLength = eyeRx * 1.3;
  const browY = eyeY - eyeRy - ry * (0.12 + 0.08 * e.browRaise);
  const browThickness = Math.max(1.2, w * 0.03);
  for (const side of [-1, 1]) {
    const ex = cx + side * look.eyeSpacing * w;
    canvas.ellipse(ex, eyeY, eyeRx, eyeRy, EYE_WHITE);
    canvas.ellipse(ex, eyeY, Math.min(eyeRx, eyeRy) * 0.6, Math.min(eyeRx, eyeRy) * 0.6, PUPIL);
    // The inner end (toward the nose) moves with browTilt: up for sadness, down for anger.
    const innerX = ex - side * browLength * 0.5;
    const outerX = ex + side * browLength * 0.5;
    const tilt = e.browTilt * ry * 0.1;
    canvas.stroke(innerX, browY - tilt, outerX, browY + tilt * 0.3, browThickness, look.hair);
  }

  const mouthY = cy + ry * 0.5;
  const halfWidth = rx * 0.42;
  const lip = Math.max(1, h * 0.02);
  const maxOpen = ry * 0.35;
  const open = Math.max(0, Math.min(1, options.mouthOpen));
  // s in [-1, 1] across the mouth; corners rise with a smile and drop with a frown.
  const shape = (x: number) => 1 - ((x - cx) / halfWidth) ** 2;
  const centre = (x: number) => mouthY - e.smile * ry * 0.1 * (1 - shape(x));
  const upper = (x: number) => centre(x) - lip - open * maxOpen * 0.25 * shape(x);
  const lower = (x: number) => centre(x) + lip + open * maxOpen * shape(x);
  canvas.between(cx - halfWidth, cx + halfWidth, upper, lower, LIPS);
  if (open > 0.02) {
    canvas.between(
      cx - halfWidth * 0.85,
      cx + halfWidth * 0.85,
      (x) => upper(x) + lip,
      (x) => lower(x) - lip,
      MOUTH_INSIDE,
    );
  }
  return canvas.pixels;
}

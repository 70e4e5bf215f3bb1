/**
 * What the three animation formats share when every frame gets the label: each frame keeps its
 * place in the file, its delay and its disposal, and its rectangle grows to cover the label. The
 * grown frame holds the labelled canvas as it is shown after that frame, and replaces what lies
 * under it instead of blending, so whatever the disposal does afterwards the next frame still
 * starts from the right picture.
 */
import type { Rect } from '../orientation.js';

/** Frames after compositing: RGBA canvases stacked top to bottom, 8 or 16 bits a sample. */
export interface LabelledCanvases {
  readonly data: Uint8Array | Uint16Array;
  readonly width: number;
  /** Height of one canvas. */
  readonly height: number;
  readonly count: number;
}

/** The smallest rectangle holding both, inside the canvas; `even` rounds its top-left corner down to even (WebP ANMF offsets). */
export function unionRect(frame: Rect, label: Rect, canvas: { width: number; height: number }, even = false): Rect {
  let x = Math.max(0, Math.min(frame.x, label.x));
  let y = Math.max(0, Math.min(frame.y, label.y));
  if (even) {
    x -= x % 2;
    y -= y % 2;
  }
  const right = Math.min(canvas.width, Math.max(frame.x + frame.width, label.x + label.width));
  const bottom = Math.min(canvas.height, Math.max(frame.y + frame.height, label.y + label.height));
  return { x, y, width: right - x, height: bottom - y };
}

/** The RGBA samples of `rect` on canvas `index`. */
export function cropCanvas(canvases: LabelledCanvases, index: number, rect: Rect): Uint8Array | Uint16Array {
  const { data, width, height } = canvases;
  const out = data instanceof Uint16Array ? new Uint16Array(rect.width * rect.height * 4) : new Uint8Array(rect.width * rect.height * 4);
  for (let row = 0; row < rect.height; row++) {
    const from = ((index * height + rect.y + row) * width + rect.x) * 4;
    out.set(data.subarray(from, from + rect.width * 4), row * rect.width * 4);
  }
  return out;
}

import { UsageError } from '@aigc-label/core';

/** Interleaved 8-bit pixels as sharp's `.raw()` gives them: grey, grey+alpha, RGB or RGBA. */
export interface RawPixels {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
}

/** Refuses pixel buffers whose size does not match their declared shape. */
export function checkRaw(raw: RawPixels): void {
  const { width, height, channels, data } = raw;
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new UsageError(`watermark: image size ${width}×${height} is not positive whole pixels`);
  }
  if (![1, 2, 3, 4].includes(channels)) throw new UsageError(`watermark: ${channels} channels per pixel; expected 1 to 4`);
  if (data.length !== width * height * channels) {
    throw new UsageError(`watermark: ${data.length} bytes do not hold ${width}×${height}×${channels} pixels`);
  }
}

/** Colour channels that carry the mark (alpha never does). */
export const colourChannels = (channels: number): number => (channels === 2 || channels === 4 ? channels - 1 : channels);

/**
 * Luma (Rec. 601 weights) of row `y` into `out`. The mark is added equally to R, G and B, so
 * it moves luma by exactly its value and leaves chroma alone: 4:2:0 subsampling, which halves
 * chroma resolution, does not touch it.
 */
export function lumaRow(raw: RawPixels, y: number, out: Float32Array): void {
  const { data, width, channels } = raw;
  let p = y * width * channels;
  if (channels >= 3) {
    for (let x = 0; x < width; x++, p += channels) out[x] = 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
  } else {
    for (let x = 0; x < width; x++, p += channels) out[x] = data[p]!;
  }
}

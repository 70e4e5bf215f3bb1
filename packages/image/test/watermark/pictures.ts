import sharp, { type Sharp } from 'sharp';
import type { RawPixels } from '../../src/watermark/index.js';

/**
 * A deterministic photo-like test picture: a sky-to-ground gradient, waves of many sizes and
 * directions whose amplitude falls as 1/frequency (the spectrum of natural images), a few flat
 * discs and sensor grain. Small enough for unit tests.
 */
export function photo(width: number, height: number, seed = 1, channels: 1 | 3 | 4 = 3): RawPixels {
  let state = seed * 2654435761;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 0x1_0000_0000;
  };
  const waves = Array.from({ length: 12 }, () => {
    const angle = random() * Math.PI;
    const cycles = 0.004 * 20 ** random(); // 0.004 to 0.08 cycles per pixel
    const frequency = cycles * 2 * Math.PI;
    return {
      fx: Math.cos(angle) * frequency,
      fy: Math.sin(angle) * frequency,
      phase: random() * 7,
      amplitude: Math.min(30, 0.15 / cycles),
    };
  });
  const discs = Array.from({ length: 4 }, () => ({
    x: random() * width,
    y: random() * height,
    r: 20 + random() * 60,
    v: 40 + random() * 180,
  }));
  const tint = [0.9 + random() * 0.2, 0.9 + random() * 0.2, 0.9 + random() * 0.2];
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 70 + (120 * y) / height;
      for (const w of waves) v += w.amplitude * Math.sin(w.fx * x + w.fy * y + w.phase);
      for (const d of discs) if ((x - d.x) ** 2 + (y - d.y) ** 2 < d.r * d.r) v = d.v;
      const grain = (random() + random() + random() - 1.5) * 4;
      const p = (y * width + x) * channels;
      for (let c = 0; c < Math.min(channels, 3); c++)
        data[p + c] = Math.max(0, Math.min(255, Math.round((v + grain) * (channels === 1 ? 1 : tint[c]!))));
      if (channels === 4) data[p + 3] = 200 + ((x + y) % 56);
    }
  }
  return { data, width, height, channels };
}

export const toSharp = (raw: RawPixels): Sharp =>
  sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });

/** Runs an attack (a sharp pipeline that ends in an encoder) and decodes the result to raw pixels. */
export async function attacked(raw: RawPixels, attack: (image: Sharp) => Sharp): Promise<RawPixels> {
  const encoded = await attack(toSharp(raw)).toBuffer();
  const { data, info } = await sharp(encoded).raw().toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    channels: info.channels as RawPixels['channels'],
  };
}

/**
 * Test-side readers of animation structure, written from the specifications and independent of
 * the code under test: per frame the delay, the disposal and the rectangle, plus the loop count.
 */
import { fromAscii, u16le, u24le, u32be, u32le } from '@aigc-label/core';

export interface FrameInfo {
  readonly delay: string;
  readonly disposal: number;
  readonly rect: readonly [number, number, number, number];
}
export interface AnimationInfo {
  readonly loops: number | null;
  readonly frames: readonly FrameInfo[];
}

/** GIF89a: NETSCAPE2.0 loop count, then per image the graphic control extension's delay and disposal (§23). */
export function gifStructure(gif: Uint8Array): AnimationInfo {
  let at = 13 + (gif[10]! & 0x80 ? 3 << ((gif[10]! & 7) + 1) : 0);
  const skip = (from: number) => {
    let p = from;
    while (gif[p]! !== 0) p += gif[p]! + 1;
    return p + 1;
  };
  let loops: number | null = null;
  let control: { delay: number; disposal: number } | null = null;
  const frames: FrameInfo[] = [];
  while (gif[at] !== 0x3b) {
    if (gif[at] === 0x21) {
      const label = gif[at + 1];
      if (label === 0xf9) control = { delay: u16le(gif, at + 4), disposal: (gif[at + 3]! >> 2) & 7 };
      if (label === 0xff && fromAscii(gif, at + 3, at + 14) === 'NETSCAPE2.0') loops = u16le(gif, at + 16);
      at = skip(at + 2);
    } else {
      const rect = [u16le(gif, at + 1), u16le(gif, at + 3), u16le(gif, at + 5), u16le(gif, at + 7)] as const;
      frames.push({ delay: String(control?.delay ?? 0), disposal: control?.disposal ?? 0, rect });
      control = null;
      const packed = gif[at + 9]!;
      at = skip(at + 10 + (packed & 0x80 ? 3 << ((packed & 7) + 1) : 0) + 1);
    }
  }
  return { loops, frames };
}

/** WebP: ANIM loop count, per ANMF the duration and the dispose bit (container spec, "Animation"). */
export function webpStructure(webp: Uint8Array): AnimationInfo {
  let loops: number | null = null;
  const frames: FrameInfo[] = [];
  for (let at = 12; at + 8 <= webp.length; ) {
    const id = fromAscii(webp, at, at + 4);
    const size = u32le(webp, at + 4);
    const body = at + 8;
    if (id === 'ANIM') loops = u16le(webp, body + 4);
    if (id === 'ANMF') {
      const rect = [2 * u24le(webp, body), 2 * u24le(webp, body + 3), u24le(webp, body + 6) + 1, u24le(webp, body + 9) + 1] as const;
      frames.push({ delay: String(u24le(webp, body + 12)), disposal: webp[body + 15]! & 1, rect });
    }
    at = body + size + (size & 1);
  }
  return { loops, frames };
}

/** APNG: acTL num_plays, per fcTL the delay fraction and dispose_op (APNG spec §3). */
export function apngStructure(png: Uint8Array): AnimationInfo {
  let loops: number | null = null;
  const frames: FrameInfo[] = [];
  for (let at = 8; at + 12 <= png.length; ) {
    const length = u32be(png, at);
    const type = fromAscii(png, at + 4, at + 8);
    const body = at + 8;
    if (type === 'acTL') loops = u32be(png, body + 4);
    if (type === 'fcTL') {
      const rect = [u32be(png, body + 12), u32be(png, body + 16), u32be(png, body + 4), u32be(png, body + 8)] as const;
      frames.push({
        delay: `${(png[body + 20]! << 8) | png[body + 21]!}/${(png[body + 22]! << 8) | png[body + 23]!}`,
        disposal: png[body + 24]!,
        rect,
      });
    }
    at = body + length + 4;
  }
  return { loops, frames };
}

/** The part of the structure a visible label must not change: loop count, and per frame the delay and disposal. */
export const timing = (info: AnimationInfo) => ({
  loops: info.loops,
  frames: info.frames.map(({ delay, disposal }) => ({ delay, disposal })),
});

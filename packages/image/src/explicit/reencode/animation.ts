/**
 * Animated images (GIF, animated WebP, APNG) are labelled on every frame and written back frame by
 * frame into the source's own structure, so the frame count, delays, disposal and loop count stay.
 */
import type { Metadata } from 'sharp';
import type { Rect } from '../orientation.js';
import { type Apng, apngWithLabelledFrames, decodeApng, parseApng } from './apng.js';
import type { LabelledCanvases } from './frames.js';
import { gifWithLabelledFrames } from './gif.js';
import type { Reencoded } from './index.js';
import { parsePng } from './png.js';
import { parseWebp } from './webp.js';
import { webpWithLabelledFrames } from './webp-animation.js';

export type Animation = { readonly kind: 'gif' | 'webp' } | { readonly kind: 'apng'; readonly apng: Apng };

/** The animation in a GIF (even a one-frame GIF), a WebP with an ANIM chunk, or a PNG with an acTL; null for still images. */
export async function openAnimation(meta: Metadata, bytes: Uint8Array): Promise<Animation | null> {
  if (meta.format === 'gif') return { kind: 'gif' };
  if (meta.format === 'webp') return (await parseWebp(bytes)).chunks.some((c) => c.id === 'ANIM') ? { kind: 'webp' } : null;
  if (meta.format !== 'png') return null;
  const apng = parseApng(await parsePng(bytes));
  return apng && { kind: 'apng', apng };
}

/** Frames sharp cannot decode (APNG), composed here; null when sharp decodes the animation itself. */
export const decodeFrames = (animation: Animation | null) => (animation?.kind === 'apng' ? decodeApng(animation.apng) : null);

/** The source with every frame replaced by its labelled version; `label` is where the label sits on the canvas. */
export async function writeAnimation(
  animation: Animation,
  source: Uint8Array,
  canvases: LabelledCanvases,
  label: Rect,
): Promise<Reencoded> {
  switch (animation.kind) {
    case 'gif':
      return { bytes: await gifWithLabelledFrames(source, canvases, label), findings: [] };
    case 'webp':
      return { bytes: await webpWithLabelledFrames(source, canvases, label), findings: [] };
    case 'apng':
      return apngWithLabelledFrames(animation.apng, canvases, label);
  }
}

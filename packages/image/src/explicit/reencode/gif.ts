/**
 * A labelled GIF keeps every block of the source (GIF89a spec §§17-27): the logical screen and
 * global colour table, the NETSCAPE2.0 loop count, comments, XMP and every graphic control
 * extension's delay, disposal and user-input flag. Only each image (descriptor, colour table, LZW
 * data) is replaced by sharp's encoding of the grown, labelled frame; its transparency setting
 * moves into the frame's graphic control extension.
 */
import { concat, fromAscii, MalformedInputError, u16le } from '@aigc-label/core';
import { type GifBlock, listBlocks } from '../../gif/index.js';
import type { Rect } from '../orientation.js';
import { sharp } from '../sharp.js';
import { cropCanvas, type LabelledCanvases, unionRect } from './frames.js';

const GRAPHIC_CONTROL = 0xf9;
const fail = (message: string) => new MalformedInputError('gif', message);

interface EncodedFrame {
  /** Image descriptor with its local colour table and LZW data. */
  readonly image: Uint8Array;
  /** The transparent colour index, or null when the frame is opaque. */
  readonly transparent: number | null;
}

/** Frame rectangle of an image descriptor (§20): left, top, width, height, little-endian. */
const frameRect = (gif: Uint8Array, block: GifBlock): Rect => ({
  x: u16le(gif, block.offset + 1),
  y: u16le(gif, block.offset + 3),
  width: u16le(gif, block.offset + 5),
  height: u16le(gif, block.offset + 7),
});

/** `rgba` as one GIF image at `rect`, with sharp's palette as its local colour table. */
async function encodeFrame(rgba: Uint8Array, rect: Rect): Promise<EncodedFrame> {
  const buffer = await sharp(rgba, { raw: { width: rect.width, height: rect.height, channels: 4 } })
    .gif({ colours: 256, effort: 7 })
    .toBuffer();
  const gif = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const { blocks, streamStart } = listBlocks(gif);
  const image = blocks.find((b) => b.kind === 'image');
  if (!image) throw fail('the encoder wrote no image');
  const control = blocks.find((b) => b.kind === 'extension' && b.label === GRAPHIC_CONTROL && b.offset < image.offset);
  const transparent = control && gif[control.offset + 3]! & 1 ? gif[control.offset + 6]! : null;
  const packed = gif[image.offset + 9]!;
  const local = packed & 0x80 ? gif.subarray(image.offset + 10, image.offset + 10 + (3 << ((packed & 7) + 1))) : null;
  const screen = gif[10]!;
  const table = local ?? (screen & 0x80 ? gif.subarray(13, streamStart) : null);
  if (!table) throw fail('the encoder wrote no colour table');
  const sizeBits = Math.log2(table.length / 3) - 1;
  const descriptor = new Uint8Array(10);
  descriptor[0] = 0x2c;
  const view = new DataView(descriptor.buffer);
  view.setUint16(1, rect.x, true);
  view.setUint16(3, rect.y, true);
  view.setUint16(5, rect.width, true);
  view.setUint16(7, rect.height, true);
  descriptor[9] = 0x80 | sizeBits; // local colour table, not interlaced, not sorted
  const data = gif.subarray(image.offset + 10 + (local ? local.length : 0), image.end);
  return { image: concat([descriptor, table, data]), transparent };
}

/** A graphic control extension (§23) with the source's disposal, user-input flag and delay and the new transparency. */
function graphicControl(source: Uint8Array | null, transparent: number | null): Uint8Array {
  const block = source ? source.slice() : Uint8Array.of(0x21, GRAPHIC_CONTROL, 4, 0, 0, 0, 0, 0);
  block[3] = (block[3]! & ~1) | (transparent === null ? 0 : 1);
  block[6] = transparent ?? 0;
  return block;
}

/** The source with every frame replaced by its labelled, grown version (`label` in canvas pixels). */
export async function gifWithLabelledFrames(source: Uint8Array, canvases: LabelledCanvases, label: Rect): Promise<Uint8Array> {
  const l = listBlocks(source);
  const images = l.blocks.filter((b) => b.kind === 'image');
  if (images.length !== canvases.count) throw fail(`${images.length} images in the file, but ${canvases.count} frames decoded`);
  const frames = await Promise.all(
    images.map(async (block, index) => {
      const rect = unionRect(frameRect(source, block), label, canvases);
      const rgba = cropCanvas(canvases, index, rect) as Uint8Array;
      return encodeFrame(rgba, rect);
    }),
  );
  const out: Uint8Array[] = [source.subarray(0, l.streamStart)];
  let next = 0;
  let added = false;
  let control: GifBlock | null = null;
  for (const block of l.blocks) {
    if (block.kind === 'extension' && block.label === GRAPHIC_CONTROL) {
      // Held until its image: its transparency now describes the new frame.
      if (control) out.push(source.subarray(control.offset, control.end));
      control = block;
      continue;
    }
    if (block.kind === 'image') {
      const frame = frames[next++]!;
      const original = control && control.end - control.offset === 8 ? source.subarray(control.offset, control.end) : null;
      if (control && !original) out.push(source.subarray(control.offset, control.end));
      if (original || frame.transparent !== null) out.push(graphicControl(original, frame.transparent));
      added ||= !original && frame.transparent !== null;
      out.push(frame.image);
      control = null;
      continue;
    }
    out.push(source.subarray(block.offset, block.end));
  }
  if (control) out.push(source.subarray(control.offset, control.end));
  out.push(source.subarray(source.length - l.trailing - 1));
  const bytes = concat(out);
  // A graphic control extension is a GIF89a feature (§23).
  if (added && fromAscii(bytes, 3, 6) === '87a') bytes.set([0x38, 0x39, 0x61], 3);
  return bytes;
}

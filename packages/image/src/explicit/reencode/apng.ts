/**
 * Animated PNG (APNG spec 1.0): sharp reads only the default image, so the frames are decoded and
 * composed here (one small PNG per frame for sharp, then blending and disposal as the spec says).
 * The labelled frames are written back into the source's chunk sequence: IHDR, acTL (frame count,
 * loop count), every fcTL's delay and disposal, and every other chunk stay as they were; each
 * frame's rectangle grows to cover the label and its data is the labelled canvas, drawn with
 * APNG_BLEND_OP_SOURCE. A palette image gets one new palette shared by all frames.
 */
import { concat, type Finding, finding, MalformedInputError, putU32be, u16be, u32be } from '@aigc-label/core';
import { makeChunk, PNG_SIGNATURE, type PngChunk } from '../../png/chunks.js';
import type { Rect } from '../orientation.js';
import { sharp } from '../sharp.js';
import { cropCanvas, type LabelledCanvases, unionRect } from './frames.js';
import { data, droppedFinding, keptChunk, type ParsedPng, parsePng, whole } from './png.js';
import { decodeScanlines, encodeScanlines, pack, unpack } from './png-coding.js';

const DISPOSE_BACKGROUND = 1;
const DISPOSE_PREVIOUS = 2;
const BLEND_OVER = 1;
const PALETTE = 3;
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Most frames an APNG may declare before we give up on it; real ones have a few hundred. */
const maximumFrames = 100_000;
const fail = (message: string) => new MalformedInputError('png', message);

interface ApngFrame {
  readonly fctl: PngChunk;
  readonly rect: Rect;
  readonly dispose: number;
  readonly blend: number;
  /** The frame's zlib stream, in pieces (IDAT data, or fdAT data after the sequence number). */
  readonly data: Uint8Array[];
}

export interface Apng {
  readonly png: ParsedPng;
  readonly frames: readonly ApngFrame[];
  /** The default image (IDAT) is shown only by viewers without APNG support, not as the first frame. */
  readonly separateDefault: boolean;
  readonly defaultData: readonly Uint8Array[];
}

/** The APNG structure of a PNG, or null when it has no acTL (a still PNG). */
export function parseApng(png: ParsedPng): Apng | null {
  const actl = png.chunks.find((c) => c.type === 'acTL');
  if (!actl) return null;
  const declared = u32be(png.bytes, actl.dataOffset);
  if (declared > maximumFrames) throw fail(`acTL declares ${declared} frames, over ${maximumFrames}`);
  const frames: ApngFrame[] = [];
  const defaultData: Uint8Array[] = [];
  let separateDefault = false;
  let current: ApngFrame | undefined;
  const { width, height } = png.header;
  for (const chunk of png.chunks) {
    const payload = data(png.bytes, chunk);
    if (chunk.type === 'fcTL') {
      if (payload.length < 26) throw fail(`fcTL at ${chunk.offset} is shorter than 26 bytes`);
      const rect = { width: u32be(payload, 4), height: u32be(payload, 8), x: u32be(payload, 12), y: u32be(payload, 16) };
      if (rect.width === 0 || rect.height === 0 || rect.x + rect.width > width || rect.y + rect.height > height)
        throw fail(
          `fcTL at ${chunk.offset} puts a ${rect.width}×${rect.height} frame at ${rect.x},${rect.y} outside the ${width}×${height} canvas`,
        );
      current = { fctl: chunk, rect, dispose: payload[24]!, blend: payload[25]!, data: [] };
      frames.push(current);
    } else if (chunk.type === 'IDAT') {
      if (defaultData.length === 0 && !current) separateDefault = true;
      defaultData.push(payload);
      if (current && !separateDefault) current.data.push(payload);
    } else if (chunk.type === 'fdAT') {
      if (!current || payload.length < 4) throw fail(`fdAT at ${chunk.offset} has no frame or no sequence number`);
      current.data.push(payload.subarray(4));
    }
  }
  if (frames.length !== declared) throw fail(`acTL declares ${declared} frames, the file has ${frames.length}`);
  if (frames.some((f) => f.data.length === 0)) throw fail('an APNG frame has no image data');
  return { png, frames, separateDefault, defaultData };
}

/** A PNG of one frame: the source's IHDR at the frame's size, its palette and transparency, the frame's data. */
function framePng(png: ParsedPng, width: number, height: number, pieces: readonly Uint8Array[]): Uint8Array {
  const ihdr = data(png.bytes, png.chunks[0]!).slice();
  putU32be(ihdr, 0, width);
  putU32be(ihdr, 4, height);
  const colour = png.chunks.filter((c) => c.type === 'PLTE' || c.type === 'tRNS').map((c) => whole(png.bytes, c));
  return concat([
    PNG_SIGNATURE,
    makeChunk('IHDR', ihdr),
    ...colour,
    makeChunk('IDAT', concat(pieces)),
    makeChunk('IEND', new Uint8Array(0)),
  ]);
}

async function decodeRgba(png: Uint8Array, sixteen: boolean): Promise<Uint8Array | Uint16Array> {
  const raw = await sharp(png)
    .toColourspace(sixteen ? 'rgb16' : 'srgb')
    .ensureAlpha()
    .raw(sixteen ? { depth: 'ushort' } : {})
    .toBuffer();
  return sixteen
    ? new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2)
    : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** APNG_BLEND_OP_OVER of one frame pixel onto the canvas (APNG spec §4.2, non-premultiplied). */
function over(canvas: Uint8Array | Uint16Array, at: number, frame: Uint8Array | Uint16Array, from: number, max: number): void {
  const alpha = frame[from + 3]!;
  if (alpha === max) {
    canvas.set(frame.subarray(from, from + 4), at);
    return;
  }
  if (alpha === 0) return;
  const u = alpha * max;
  const v = (max - alpha) * canvas[at + 3]!;
  const total = u + v;
  for (let c = 0; c < 3; c++) canvas[at + c] = Math.round((frame[from + c]! * u + canvas[at + c]! * v) / total);
  canvas[at + 3] = Math.round(total / max);
}

/**
 * Every frame as shown: the canvas after the frame is drawn (blend op) and before its disposal
 * (APNG spec §4.2, §4.3), stacked; a separate default image comes first.
 */
export async function decodeApng(apng: Apng): Promise<LabelledCanvases & { readonly sixteen: boolean }> {
  const { width, height, bitDepth } = apng.png.header;
  const sixteen = bitDepth === 16;
  const max = sixteen ? 65535 : 255;
  const pages = apng.frames.length + (apng.separateDefault ? 1 : 0);
  const size = width * height * 4;
  const out = sixteen ? new Uint16Array(size * pages) : new Uint8Array(size * pages);
  let page = 0;
  if (apng.separateDefault) out.set(await decodeRgba(framePng(apng.png, width, height, apng.defaultData), sixteen), size * page++);
  const canvas = sixteen ? new Uint16Array(size) : new Uint8Array(size);
  for (const [index, frame] of apng.frames.entries()) {
    const { rect } = frame;
    const pixels = await decodeRgba(framePng(apng.png, rect.width, rect.height, frame.data), sixteen);
    const saved = frame.dispose === DISPOSE_PREVIOUS ? canvas.slice() : null;
    for (let y = 0; y < rect.height; y++) {
      const at = ((rect.y + y) * width + rect.x) * 4;
      const from = y * rect.width * 4;
      if (frame.blend === BLEND_OVER) for (let x = 0; x < rect.width; x++) over(canvas, at + 4 * x, pixels, from + 4 * x, max);
      else canvas.set(pixels.subarray(from, from + rect.width * 4), at);
    }
    out.set(canvas, size * page++);
    // The first frame's "previous" is the cleared canvas (§4.3).
    if (frame.dispose === DISPOSE_BACKGROUND || (frame.dispose === DISPOSE_PREVIOUS && index === 0)) {
      for (let y = 0; y < rect.height; y++)
        canvas.fill(0, ((rect.y + y) * width + rect.x) * 4, ((rect.y + y) * width + rect.x + rect.width) * 4);
    } else if (saved) canvas.set(saved);
  }
  return { data: out, width, height, count: pages, sixteen };
}

/** Samples of one RGBA crop in the IHDR's colour type (not palette) and bit depth, as packed rows. */
function truecolourRows(rgba: Uint8Array | Uint16Array, rect: Rect, png: ParsedPng): Uint8Array {
  const { colourType, bitDepth } = png.header;
  const channels = CHANNELS[colourType]!;
  const top = rgba instanceof Uint16Array ? 65535 : 255;
  const trns = png.chunks.find((c) => c.type === 'tRNS');
  // Colour types 0 and 2 mark transparency with one key colour (§11.3.2.1).
  const key = trns ? Array.from({ length: channels }, (_, c) => u16be(png.bytes, trns.dataOffset + 2 * c)) : null;
  const levels = 2 ** bitDepth - 1;
  const values = new Uint16Array(rect.width * rect.height * channels);
  for (let p = 0; p < rect.width * rect.height; p++) {
    const [r, g, b, a] = [rgba[4 * p]!, rgba[4 * p + 1]!, rgba[4 * p + 2]!, rgba[4 * p + 3]!].map((v) => (v * levels) / top) as [
      number,
      number,
      number,
      number,
    ];
    const grey = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    const sample = colourType === 0 || colourType === 4 ? [grey] : [Math.round(r), Math.round(g), Math.round(b)];
    if (colourType === 4 || colourType === 6) sample.push(Math.round(a));
    else if (key) {
      if (a < levels / 2) sample.splice(0, sample.length, ...key);
      else if (sample.every((v, c) => v === key[c])) sample[0] = sample[0]! > 0 ? sample[0]! - 1 : 1;
    }
    values.set(sample, p * channels);
  }
  if (bitDepth === 16) {
    const rows = new Uint8Array(values.length * 2);
    for (let i = 0; i < values.length; i++) [rows[2 * i], rows[2 * i + 1]] = [values[i]! >> 8, values[i]! & 0xff];
    return rows;
  }
  return pack(Uint8Array.from(values), rect.width * channels, rect.height, bitDepth);
}

/**
 * Palette frames share the file's one PLTE: sharp quantises all labelled crops at once (stacked,
 * each row padded with its last pixel), and its indices are split back into the crops.
 */
async function paletteRows(crops: readonly { rgba: Uint8Array; rect: Rect }[], bits: number) {
  const width = Math.max(...crops.map((c) => c.rect.width));
  const height = crops.reduce((sum, c) => sum + c.rect.height, 0);
  const stacked = new Uint8Array(width * height * 4);
  let row = 0;
  for (const { rgba, rect } of crops) {
    for (let y = 0; y < rect.height; y++, row++) {
      stacked.set(rgba.subarray(y * rect.width * 4, (y + 1) * rect.width * 4), row * width * 4);
      const last = rgba.subarray((y * rect.width + rect.width - 1) * 4, (y * rect.width + rect.width) * 4);
      for (let x = rect.width; x < width; x++) stacked.set(last, (row * width + x) * 4);
    }
  }
  const encoded = await sharp(stacked, { raw: { width, height, channels: 4 } })
    .png({ palette: true, colours: 2 ** bits })
    .toBuffer();
  const quantised = await parsePng(new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength));
  if (quantised.header.colourType !== PALETTE) throw fail('the encoder wrote no palette image');
  const zlib = concat(quantised.chunks.filter((c) => c.type === 'IDAT').map((c) => data(quantised.bytes, c)));
  const outBits = quantised.header.bitDepth;
  const indices = unpack(decodeScanlines(zlib, width, height, outBits), width, height, outBits);
  let at = 0;
  const rows = crops.map(({ rect }) => {
    const values = new Uint8Array(rect.width * rect.height);
    for (let y = 0; y < rect.height; y++) values.set(indices.subarray((at + y) * width, (at + y) * width + rect.width), y * rect.width);
    at += rect.height;
    return pack(values, rect.width, rect.height, bits);
  });
  const chunk = (type: string) => quantised.chunks.find((c) => c.type === type);
  const plte = chunk('PLTE');
  const trns = chunk('tRNS');
  return { rows, plte: data(quantised.bytes, plte!), trns: trns ? data(quantised.bytes, trns) : null };
}

function fctl(source: Uint8Array, sequence: number, rect: Rect): Uint8Array {
  const payload = source.slice(0, 26);
  putU32be(payload, 0, sequence);
  putU32be(payload, 4, rect.width);
  putU32be(payload, 8, rect.height);
  putU32be(payload, 12, rect.x);
  putU32be(payload, 16, rect.y);
  payload[25] = 0; // APNG_BLEND_OP_SOURCE: the grown frame holds the whole labelled picture under it
  return makeChunk('fcTL', payload);
}

/** The source APNG with every frame (and a separate default image) replaced by its labelled, grown version. */
export async function apngWithLabelledFrames(
  apng: Apng,
  canvases: LabelledCanvases,
  label: Rect,
): Promise<{ bytes: Uint8Array; findings: Finding[] }> {
  const { png } = apng;
  const { width, height, colourType, bitDepth, interlace } = png.header;
  const findings: Finding[] = [];
  const full = { x: 0, y: 0, width, height };
  const rects = [...(apng.separateDefault ? [full] : []), ...apng.frames.map((f) => unionRect(f.rect, label, canvases))];
  const crops = rects.map((rect, page) => ({ rect, rgba: cropCanvas(canvases, page, rect) }));
  const palette = colourType === PALETTE ? await paletteRows(crops as { rgba: Uint8Array; rect: Rect }[], bitDepth) : null;
  const bitsPerPixel = CHANNELS[colourType]! * bitDepth;
  const streams = crops.map(({ rgba, rect }, page) =>
    encodeScanlines(palette ? palette.rows[page]! : truecolourRows(rgba, rect, png), rect.width, rect.height, bitsPerPixel),
  );
  if (interlace) findings.push(finding('explicit/reencode-changed', 'info', 'the APNG frames were written without Adam7 interlacing'));
  const out: Uint8Array[] = [PNG_SIGNATURE];
  const dropped: string[] = [];
  const offset = apng.separateDefault ? 1 : 0;
  let sequence = 0;
  let frame = -1;
  let lastData = '';
  for (const chunk of png.chunks) {
    const payload = data(png.bytes, chunk);
    switch (chunk.type) {
      case 'IHDR': {
        const ihdr = payload.slice();
        ihdr[12] = 0;
        out.push(makeChunk('IHDR', ihdr));
        break;
      }
      case 'PLTE':
        out.push(palette ? makeChunk('PLTE', palette.plte) : whole(png.bytes, chunk));
        if (palette?.trns && !png.chunks.some((c) => c.type === 'tRNS')) out.push(makeChunk('tRNS', palette.trns));
        break;
      case 'tRNS':
        if (!palette) out.push(whole(png.bytes, chunk));
        else if (palette.trns) out.push(makeChunk('tRNS', palette.trns));
        break;
      case 'fcTL':
        frame++;
        out.push(fctl(payload, sequence++, rects[frame + offset]!));
        break;
      case 'IDAT':
        if (lastData !== 'IDAT') out.push(makeChunk('IDAT', streams[0]!));
        break;
      case 'fdAT':
        if (lastData !== `fdAT${frame}`) {
          const numbered = new Uint8Array(4 + streams[frame + offset]!.length);
          putU32be(numbered, 0, sequence++);
          numbered.set(streams[frame + offset]!, 4);
          out.push(makeChunk('fdAT', numbered));
        }
        break;
      case 'acTL':
      case 'IEND':
        out.push(whole(png.bytes, chunk));
        break;
      default: {
        const kept = keptChunk(png, chunk, true, palette?.plte ?? null);
        if (kept) out.push(kept);
        else dropped.push(chunk.type);
      }
    }
    if (chunk.type === 'IDAT' || chunk.type === 'fdAT') lastData = chunk.type === 'IDAT' ? 'IDAT' : `fdAT${frame}`;
  }
  if (dropped.length > 0) findings.push(droppedFinding(dropped));
  return { bytes: concat(out), findings };
}

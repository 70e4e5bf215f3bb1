/**
 * Audible labels spliced into a FLAC file without re-encoding its audio (RFC 9639). FLAC frames
 * are independent, so the label alone is encoded (ffmpeg's flac encoder, at the stream's sample
 * rate, channels, bit depth and block size, padded with silence to whole blocks) and its frames
 * go in front of the first frame or after the last:
 * - at the start, every frame of the file is renumbered: its header gets the new frame number
 *   and CRC-8 and the frame its CRC-16; the subframe bytes are copied unchanged;
 * - at the end, the label's frames are numbered after the file's, whose frames are copied byte
 *   for byte; but a fixed-block-size stream may have a short block only last, so a short last
 *   frame is decoded and encoded again in front of the label (its samples unchanged, lossless).
 * STREAMINFO gets the new sample count, frame sizes and MD5 (the frames are decoded once by the
 * npm ffmpeg, natively and exactly, to the integers the MD5 covers, while the frames are renumbered;
 * before an end label, which continues the file's hash, the file's MD5 is checked too; an unknown
 * MD5, all zeros, stays unknown), SEEKTABLE points move with their frames, and every other
 * metadata block is copied.
 * The label's samples are quantized here, so the MD5 covers what any decoder returns.
 * Not spliced, and re-encoded whole instead (with the finding): a label in the middle or at a
 * time, or mixed over the content (those need frames of the content re-encoded), a variable
 * block size, bit depths other than 16 and 24 (the encoder writes only these), a frame that
 * fails its CRC or breaks the numbering, or samples that do not match the stored MD5.
 */
import { createHash, type Hash } from 'node:crypto';
import { type ByteSource, bytesEqual, bytesSource, crc16Umts, MalformedInputError, readExact, splicePlan } from '@aigc-label/core';
import { ffmpegPath, runToolOrThrow, streamTool, timeoutForMedia } from '@aigc-label/ffmpeg';
import { BLOCK_STREAMINFO, listBlocks } from '../flac/blocks.js';
import {
  type FlacFrames,
  flacFrameHeader,
  readStreamInfo,
  renumberedHeader,
  type StreamInfo,
  walkFlacFrames,
  writeStreamInfo,
} from '../flac/frames.js';
import { programmeFromExcerpts } from './excerpts.js';
import { type FlacPieceDecoder, interleaved, openFlacDecoder } from './in-process.js';
import { type LabelFactory, type LabelMode, type LabelPosition, type SpliceAttempt, spliceEnds } from './splice.js';

const BLOCK_SEEKTABLE = 3;
/** Bytes read (and decoded) per step of the pass over the frames. */
const PASS_BYTES = 1 << 20;
/** Time limit of the MD5 decode per second of audio, beyond the default: it runs at hundreds of times real time. */
const DECODE_MS_PER_SECOND = 100;

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly insert: Uint8Array;
}

/** Interleaved integer samples stored as the MD5 of STREAMINFO covers them: little-endian, 2 or 3 bytes. */
function sampleBytes(samples: Int32Array, bytesPerSample: number): Uint8Array {
  const out = new Uint8Array(samples.length * bytesPerSample);
  for (let i = 0, o = 0; i < samples.length; i++, o += bytesPerSample) {
    const v = samples[i]!;
    out[o] = v & 0xff;
    out[o + 1] = (v >> 8) & 0xff;
    if (bytesPerSample === 3) out[o + 2] = (v >> 16) & 0xff;
  }
  return out;
}

/** Decoded planar float back to interleaved integers (the decoder divides by 2^(bits−1) − 1). */
function toIntegers(channelData: Float32Array[], samples: number, bits: number): Int32Array {
  const scale = 2 ** (bits - 1) - 1;
  const channels = channelData.length;
  const out = new Int32Array(samples * channels);
  for (let c = 0; c < channels; c++) {
    const data = channelData[c]!;
    // Rounded to nearest: the products are within far less than a half of an integer.
    for (let i = 0, o = c; i < samples; i++, o += channels) {
      const v = data[i]! * scale;
      out[o] = (v + (v < 0 ? -0.5 : 0.5)) | 0;
    }
  }
  return out;
}

/** The mono label on every channel, quantized to the stream's bit depth, then `pad` frames of silence. */
function labelIntegers(label: Float32Array, channels: number, bits: number, frames: number): Int32Array {
  const top = 2 ** (bits - 1);
  const out = new Int32Array(frames * channels);
  for (let i = 0; i < label.length; i++) {
    const v = Math.max(-top, Math.min(top - 1, Math.round(label[i]! * top)));
    out.fill(v, i * channels, (i + 1) * channels);
  }
  return out;
}

/** Encodes interleaved samples as FLAC frames of `blockSize` at the stream's format; returns the frames and their walk. */
async function encodeFrames(samples: Int32Array, info: StreamInfo, blockSize: number): Promise<{ bytes: Uint8Array; frames: FlacFrames }> {
  const bytesPerSample = info.bitsPerSample / 8;
  const rate = String(info.sampleRate);
  const channels = String(info.channels);
  const { stdout } = await runToolOrThrow(
    ffmpegPath(),
    [
      ...['-f', bytesPerSample === 2 ? 's16le' : 's24le', '-ar', rate, '-ac', channels, '-i', 'pipe:0'],
      ...['-c:a', 'flac', '-frame_size', String(blockSize), '-ar', rate, '-ac', channels, '-f', 'flac', 'pipe:1'],
    ],
    {
      stdin: sampleBytes(samples, bytesPerSample),
      failure: (tail, code) => new MalformedInputError('audio', `ffmpeg cannot encode the label: ${tail || `exit code ${code}`}`),
    },
  );
  const encoded = bytesSource(stdout);
  const { audioStart } = await listBlocks(encoded, 0);
  const frames = await walkFlacFrames(encoded, audioStart, info);
  const expected = samples.length / info.channels / blockSize;
  if ('reason' in frames || frames.count !== expected || frames.lastBlockSize !== blockSize || frames.blockSize !== blockSize) {
    throw new MalformedInputError(
      'audio',
      `the encoded label frames do not fit the file: ${'reason' in frames ? frames.reason : `${frames.count} frames`}`,
    );
  }
  return { bytes: stdout.subarray(audioStart, frames.end), frames };
}

/** Encoded frames renumbered from `first` (header CRC-8 and frame CRC-16 recomputed), and their sizes. */
function renumberFrames(encoded: { bytes: Uint8Array; frames: FlacFrames }, first: number): { bytes: Uint8Array; sizes: number[] } {
  const { bytes, frames } = encoded;
  const base = frames.offsets[0]!;
  const parts: Uint8Array[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < frames.count; i++) {
    const from = frames.offsets[i]! - base;
    const to = frames.offsets[i + 1]! - base;
    const { header, crc, subframes } = renumberedFrame(bytes, from, to, first + i);
    parts.push(header, bytes.subarray(from + subframes, to - 2), crc);
    sizes.push(header.length + to - from - subframes);
  }
  const out = new Uint8Array(sizes.reduce((n, size) => n + size, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return { bytes: out, sizes };
}

/**
 * The new header and CRC-16 of the frame in `bytes[from, to)` with frame number `number`; its
 * subframes (from `from + subframes` to the CRC) stay as they are.
 */
function renumberedFrame(bytes: Uint8Array, from: number, to: number, number: number) {
  const parsed = flacFrameHeader(bytes, from)!;
  const header = renumberedHeader(bytes.subarray(from, from + parsed.length), parsed, number);
  const value = crc16Umts(bytes, crc16Umts(header), from + parsed.length, to - 2);
  return { header, crc: Uint8Array.of(value >> 8, value & 0xff), subframes: parsed.length };
}

/** Bytes of the frames `[from, to)` behind the file's "fLaC" and STREAMINFO, for the decoder. */
async function streamOf(
  source: ByteSource,
  streamInfoBlock: Uint8Array,
  frames: FlacFrames,
  from: number,
  to: number,
): Promise<Uint8Array> {
  const start = frames.offsets[from]!;
  const body = await readExact(source, start, frames.offsets[to]! - start, 'flac', 'FLAC frames');
  const head = streamHead(streamInfoBlock);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** "fLaC" and the STREAMINFO block alone: the head of a stream of some of the file's frames, for a decoder. */
function streamHead(streamInfoBlock: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + streamInfoBlock.length);
  out.set([0x66, 0x4c, 0x61, 0x43]);
  out.set(streamInfoBlock, 4);
  out[4] = 0x80; // the only metadata block, so the last
  return out;
}

/**
 * Feeds every frame to the npm ffmpeg, which decodes them to the little-endian integers
 * STREAMINFO's MD5 covers (RFC 9639 §8.2: 2 or 3 bytes per sample, interleaved), exactly; each
 * hash in `hashes` is updated with them as they stream back. Returns the samples per channel and
 * the last `keep` bytes decoded, or null when a frame does not decode (`-xerror`). A native
 * decode: the WebAssembly decoder's float output, turned back into integers, took three times as
 * long on a 10-minute file.
 */
async function hashDecodedFrames(
  source: ByteSource,
  streamInfoBlock: Uint8Array,
  frames: FlacFrames,
  info: StreamInfo,
  hashes: readonly Hash[],
  keep: number,
): Promise<{ samples: number; last: Uint8Array } | null> {
  const pcm = `s${info.bitsPerSample}le`;
  async function* stream() {
    yield streamHead(streamInfoBlock);
    for (let at = frames.offsets[0]!; at < frames.end; at += PASS_BYTES) {
      yield await readExact(source, at, Math.min(PASS_BYTES, frames.end - at), 'flac', 'FLAC frames');
    }
  }
  let bytes = 0;
  const recent: Uint8Array[] = [];
  let held = 0;
  try {
    const decoded = streamTool(
      ffmpegPath(),
      ['-v', 'error', '-xerror', '-f', 'flac', '-i', 'pipe:0', '-c:a', `pcm_${pcm}`, '-f', pcm, 'pipe:1'],
      {
        stdin: stream(),
        timeoutMs: timeoutForMedia(frames.totalSamples / info.sampleRate, DECODE_MS_PER_SECOND),
        failure: (tail, code) => new MalformedInputError('flac', `ffmpeg cannot decode the frames: ${tail || `exit code ${code}`}`),
      },
    );
    for await (const chunk of decoded) {
      for (const hash of hashes) hash.update(chunk);
      bytes += chunk.length;
      recent.push(chunk);
      held += chunk.length;
      while (recent.length > 0 && held - recent[0]!.length >= keep) held -= recent.shift()!.length;
    }
  } catch (error) {
    if (error instanceof MalformedInputError) return null;
    throw error;
  }
  const last = new Uint8Array(held);
  let at = 0;
  for (const chunk of recent) {
    last.set(chunk, at);
    at += chunk.length;
  }
  return { samples: bytes / (info.channels * (info.bitsPerSample / 8)), last: last.subarray(Math.max(0, held - keep)) };
}

/**
 * Decodes the frames `[from, to)` with `decoder` (flushed after, which readies it for another
 * stream): the decoder's blocks, and how many frames it could not read.
 */
async function decodeFrames(
  decoder: FlacPieceDecoder,
  source: ByteSource,
  streamInfoBlock: Uint8Array,
  frames: FlacFrames,
  from: number,
  to: number,
) {
  const stream = await streamOf(source, streamInfoBlock, frames, from, to);
  const blocks = [await decoder.decode(stream), await decoder.flush()].filter((b) => b.samplesDecoded > 0 || b.errors > 0);
  return { blocks, errors: blocks.reduce((n, b) => n + b.errors, 0), samples: blocks.reduce((n, b) => n + b.samplesDecoded, 0) };
}

/**
 * Splices the label into the FLAC stream whose "fLaC" is at `start` (after any leading ID3v2
 * tags), or says why it cannot (see the module comment).
 */
export async function spliceFlac(
  source: ByteSource,
  start: number,
  positions: readonly LabelPosition[],
  mode: LabelMode,
  makeLabel: LabelFactory,
): Promise<SpliceAttempt> {
  const ends = spliceEnds(positions, mode, 'FLAC', 'frames');
  if ('reason' in ends) return ends;
  let layout: Awaited<ReturnType<typeof listBlocks>>;
  try {
    layout = await listBlocks(source, start);
  } catch (error) {
    if (error instanceof MalformedInputError) return { reason: `the FLAC metadata cannot be read: ${error.detail}` };
    throw error;
  }
  const { blocks, audioStart } = layout;
  const streamInfoBlock = blocks[0]!;
  if (streamInfoBlock.type !== BLOCK_STREAMINFO || streamInfoBlock.length < 34) return { reason: 'the FLAC file has no STREAMINFO' };
  const streamInfoBytes = await readExact(source, streamInfoBlock.offset, 4 + streamInfoBlock.length, 'flac', 'STREAMINFO');
  const info = readStreamInfo(streamInfoBytes.subarray(4));
  const bits = info.bitsPerSample;
  if (bits !== 16 && bits !== 24) return { reason: `the FLAC stream has ${bits} bits per sample; the label encoder writes 16 or 24` };
  const frames = await walkFlacFrames(source, audioStart, info);
  if ('reason' in frames) return frames;
  if (info.totalSamples !== 0 && info.totalSamples !== frames.totalSamples) {
    return { reason: `STREAMINFO counts ${info.totalSamples} samples, the frames ${frames.totalSamples}` };
  }
  const { channels, sampleRate } = info;
  const blockSize = frames.blockSize;
  if (blockSize < 16) return { reason: `the FLAC block size ${blockSize} is below the encoder's minimum` };
  const md5Known = info.md5.some((b) => b !== 0);

  // The programme, the label and its frames; one decoder serves the excerpts and a short last frame.
  let damaged = false;
  const edits: Edit[] = [];
  const firstFrame = frames.offsets[0]!;
  const prepare = async () => {
    // The programme, from the frames under its excerpts; positions are in samples.
    const programme = await programmeFromExcerpts(frames.totalSamples, sampleRate, channels, async function* (span) {
      const from = Math.floor(span.start / blockSize);
      const to = Math.min(frames.count, Math.ceil((span.start + span.frames) / blockSize));
      if (to <= from) return;
      const decoded = await decodeFrames(excerptDecoder, source, streamInfoBytes, frames, from, to);
      if (decoded.errors > 0) damaged = true;
      for (const block of decoded.blocks) yield interleaved(block.channelData, 0, block.samplesDecoded, channels);
    });
    if (damaged) return { reason: 'a FLAC frame does not decode' };
    const label = await makeLabel(sampleRate, programme);
    const labelBlocks = Math.max(1, Math.ceil(label.length / blockSize));
    const padded = labelBlocks * blockSize;
    const labelSamples = labelIntegers(label, channels, bits, padded);
    // The last frame is re-encoded in front of an end label when it is short.
    const tail = ends.has('end') && frames.lastBlockSize < blockSize ? frames.count - 1 : frames.count;

    let startLabel: { bytes: Uint8Array; frames: FlacFrames } | null = null;
    if (ends.has('start')) {
      startLabel = await encodeFrames(labelSamples, info, blockSize);
      edits.push({ start: firstFrame, end: firstFrame, insert: startLabel.bytes });
    }
    const shift = startLabel ? labelBlocks : 0;
    let endFrames: { bytes: Uint8Array; sizes: number[] } | null = null;
    // The samples the end label adds after the content's (the label and its padding).
    let endAdded: Int32Array = new Int32Array(0);
    // The short last frame's samples, when it is re-encoded before the label.
    let lastFrame: Int32Array = new Int32Array(0);
    if (ends.has('end')) {
      let samples = labelSamples;
      if (tail < frames.count) {
        const decoded = await decodeFrames(excerptDecoder, source, streamInfoBytes, frames, tail, frames.count);
        if (decoded.errors > 0 || decoded.samples !== frames.lastBlockSize) return { reason: 'the last FLAC frame does not decode' };
        const total = Math.ceil((frames.lastBlockSize + label.length) / blockSize) * blockSize;
        samples = new Int32Array(total * channels);
        let at = 0;
        for (const block of decoded.blocks) {
          const part = toIntegers(block.channelData, block.samplesDecoded, bits);
          samples.set(part, at);
          at += part.length;
        }
        samples.set(labelSamples.subarray(0, label.length * channels), at);
      }
      lastFrame = samples.subarray(0, tail < frames.count ? frames.lastBlockSize * channels : 0);
      endAdded = samples.subarray(lastFrame.length);
      endFrames = renumberFrames(await encodeFrames(samples, info, blockSize), shift + tail);
      edits.push({ start: frames.offsets[tail]!, end: frames.end, insert: endFrames.bytes });
    }
    return { programme, label, padded, labelSamples, tail, startLabel, shift, endFrames, endAdded, lastFrame };
  };

  const excerptDecoder = await openFlacDecoder();
  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    prepared = await prepare();
  } finally {
    excerptDecoder.free();
  }
  if (prepared.reason !== undefined) return { reason: prepared.reason };
  const { programme, label, padded, labelSamples, tail, startLabel, shift, endFrames, endAdded, lastFrame } = prepared;

  // One pass over the frames: renumbered headers and CRC-16s; the MD5 of the decoded samples meanwhile.
  const sizes = { min: Number.POSITIVE_INFINITY, max: 0 };
  const sized = (length: number) => {
    sizes.min = Math.min(sizes.min, length);
    sizes.max = Math.max(sizes.max, length);
  };
  const growth = new Float64Array(frames.count + 1); // header bytes added before each frame
  // Before an end label the file's own hash goes on, so its MD5 is checked at no cost; a start
  // label's hash begins with the label's samples.
  const sourceHash = startLabel ? null : createHash('md5');
  const outputHash = startLabel ? createHash('md5') : null;
  const bytesPerSample = bits / 8;
  if (startLabel) {
    const { frames: own } = startLabel;
    for (let i = 0; i < own.count; i++) sized(own.offsets[i + 1]! - own.offsets[i]!);
    outputHash!.update(sampleBytes(labelSamples, bytesPerSample));
  }
  // A short last frame re-encoded before an end label: its decoded bytes, checked against the
  // exact decode (the label's frames were made from the WebAssembly decoder's float output).
  const reencodedTail = sampleBytes(lastFrame, bytesPerSample);
  const decodedSamples = md5Known
    ? hashDecodedFrames(source, streamInfoBytes, frames, info, [sourceHash ?? outputHash!], reencodedTail.length)
    : Promise.resolve(null);
  try {
    for (let i = 0; i < frames.count; ) {
      let j = i + 1;
      while (j < frames.count && frames.offsets[j + 1]! - frames.offsets[i]! <= PASS_BYTES) j++;
      const from = frames.offsets[i]!;
      const chunk = await readExact(source, from, frames.offsets[j]! - from, 'flac', 'FLAC frames');
      for (let k = i; k < j; k++) {
        const at = frames.offsets[k]! - from;
        const length = frames.offsets[k + 1]! - frames.offsets[k]!;
        growth[k + 1] = growth[k]!;
        if (k >= tail) continue;
        if (shift === 0) {
          sized(length);
          continue;
        }
        const { header, crc, subframes } = renumberedFrame(chunk, at, at + length, k + shift);
        growth[k + 1] = growth[k]! + header.length - subframes;
        sized(length + header.length - subframes);
        edits.push(
          { start: from + at, end: from + at + subframes, insert: header },
          { start: from + at + length - 2, end: from + at + length, insert: crc },
        );
      }
      i = j;
    }
  } finally {
    // Settled before this returns or throws, so no decode outlives the splice.
    await decodedSamples.catch(() => undefined);
  }
  const decoded = await decodedSamples;
  let md5 = new Uint8Array(16);
  if (md5Known) {
    if (decoded === null) return { reason: 'a FLAC frame does not decode' };
    if (decoded.samples !== frames.totalSamples) return { reason: 'the FLAC frames decode to fewer samples than they declare' };
    if (!bytesEqual(decoded.last, reencodedTail)) return { reason: 'the last FLAC frame does not decode exactly here' };
    const endHash = sourceHash?.copy() ?? outputHash!;
    if (sourceHash && new Uint8Array(sourceHash.digest()).some((b, i) => b !== info.md5[i])) {
      return { reason: "the decoded samples do not match STREAMINFO's MD5 (damaged)" };
    }
    endHash.update(sampleBytes(endAdded, bytesPerSample));
    md5 = new Uint8Array(endHash.digest());
  }
  for (const size of endFrames?.sizes ?? []) sized(size);

  // STREAMINFO: samples, frame sizes (when known), MD5 (when known).
  const totalSamples = frames.totalSamples + (startLabel ? padded : 0) + endAdded.length / channels;
  const body = writeStreamInfo(streamInfoBytes.subarray(4), {
    minFrameSize: info.minFrameSize === 0 ? 0 : sizes.min,
    maxFrameSize: info.maxFrameSize === 0 ? 0 : sizes.max,
    totalSamples,
    md5,
  });
  edits.push({ start: streamInfoBlock.offset + 4, end: streamInfoBlock.offset + 38, insert: body });
  // SEEKTABLE points (sample, offset from the first frame, samples in the frame) move with their frames.
  const startBytes = startLabel?.bytes.length ?? 0;
  for (const table of blocks.filter((b) => b.type === BLOCK_SEEKTABLE)) {
    const points = (await readExact(source, table.offset + 4, table.length, 'flac', 'SEEKTABLE')).slice();
    const view = new DataView(points.buffer);
    for (let at = 0; at + 18 <= points.length; at += 18) {
      if (view.getUint32(at) === 0xffffffff && view.getUint32(at + 4) === 0xffffffff) continue; // placeholder
      const offset = view.getUint32(at + 8) * 2 ** 32 + view.getUint32(at + 12);
      const index = frameIndex(frames, firstFrame + offset);
      const sample = view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4);
      const moved = offset + startBytes + growth[index]!;
      const movedSample = sample + (startLabel ? padded : 0);
      view.setUint32(at, Math.floor(movedSample / 2 ** 32));
      view.setUint32(at + 4, movedSample >>> 0);
      view.setUint32(at + 8, Math.floor(moved / 2 ** 32));
      view.setUint32(at + 12, moved >>> 0);
      if (index >= tail && index < frames.count) view.setUint16(at + 16, blockSize);
    }
    edits.push({ start: table.offset + 4, end: table.offset + 4 + table.length, insert: points });
  }
  const labelStarts: number[] = [];
  if (startLabel) labelStarts.push(0);
  if (ends.has('end')) labelStarts.push((startLabel ? padded : 0) + frames.totalSamples);
  return {
    spliced: { plan: splicePlan(source.size, edits), programme, sampleRate, labelFrames: label.length, labelStarts },
  };
}

/** The frame that starts at `offset`, or the last one before it (a seek point off a frame boundary). */
function frameIndex(frames: FlacFrames, offset: number): number {
  let low = 0;
  let high = frames.count;
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if (frames.offsets[mid]! <= offset) low = mid;
    else high = mid;
  }
  return low;
}

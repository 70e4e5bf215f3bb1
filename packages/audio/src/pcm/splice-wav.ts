/**
 * Audible labels spliced straight into a PCM WAV file: the label's samples, stored in the file's
 * own sample format, go into the `data` chunk (inserted, or mixed over the content in place);
 * every other byte is copied, except the sizes that grow (RIFF, `data`, RF64's ds64), the
 * `fact` sample count and the `cue ` points after an inserted label, which move with the content.
 */
import { type ByteSource, fromAscii, putU32le, putU64le, readExact, type riff, splicePlan, u32le } from '@aigc-label/core';
import { programmeFromExcerpts } from './excerpts.js';
import { type LabelFactory, type LabelMode, type LabelPosition, resolvePositions, type SplicedLabel } from './splice.js';
import { floatToSamples, samplesToFloat, type WavSamples, wavFloatBlocks } from './wav-samples.js';

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly insert: Uint8Array;
}

/** A 32-bit little-endian field at `offset` set to `value`. */
function u32Edit(offset: number, value: number): Edit {
  const bytes = new Uint8Array(4);
  putU32le(bytes, 0, value);
  return { start: offset, end: offset + 4, insert: bytes };
}

function u64Edit(offset: number, value: number): Edit {
  const bytes = new Uint8Array(8);
  putU64le(bytes, 0, value);
  return { start: offset, end: offset + 8, insert: bytes };
}

/** The mono label on every channel, stored in the file's format. */
function labelBytes(label: Float32Array, wav: WavSamples): Uint8Array {
  const interleaved = new Float32Array(label.length * wav.channels);
  for (let i = 0; i < label.length; i++) interleaved.fill(label[i]!, i * wav.channels, (i + 1) * wav.channels);
  return floatToSamples(interleaved, wav);
}

/**
 * `cue ` points in the data chunk (RIFF MCI cue list: dwName, dwPosition, fccChunk,
 * dwChunkStart, dwBlockStart, dwSampleOffset) shifted by the label frames inserted before them.
 */
async function shiftedCues(source: ByteSource, cue: riff.RiffChunk, shift: (frame: number) => number): Promise<Edit | null> {
  const body = (await readExact(source, cue.dataOffset, cue.size, 'wav', '"cue " chunk')).slice();
  const count = body.length >= 4 ? u32le(body, 0) : 0;
  if (4 + 24 * count > body.length) return null; // a damaged list is copied as it is
  for (let i = 0; i < count; i++) {
    const at = 4 + 24 * i;
    if (fromAscii(body, at + 8, at + 12) !== 'data') continue;
    putU32le(body, at + 4, shift(u32le(body, at + 4)));
    putU32le(body, at + 20, shift(u32le(body, at + 20)));
  }
  return { start: cue.dataOffset, end: cue.end - (cue.size & 1), insert: body };
}

/**
 * The write plan that puts the label into a PCM WAV file, or null when this file needs the
 * ffmpeg path (a streamed file with placeholder sizes, or a RIFF that would pass 4 GiB).
 */
export async function spliceWav(
  source: ByteSource,
  wav: WavSamples,
  positions: readonly LabelPosition[],
  mode: LabelMode,
  makeLabel: LabelFactory,
): Promise<SplicedLabel | null> {
  const { file, data, channels, sampleRate, blockAlign } = wav;
  if (file.streamed) return null;
  const programme = await programmeFromExcerpts(wav.frames, sampleRate, channels, (span) => wavFloatBlocks(source, wav, span));
  const label = await makeLabel(sampleRate, programme);
  const at = resolvePositions(positions, wav.frames, label.length, sampleRate, mode);
  const frameOffset = (frame: number) => data.dataOffset + frame * blockAlign;
  const edits: Edit[] = [];
  if (mode === 'mix') {
    for (const frame of at) {
      const stored = await readExact(source, frameOffset(frame), label.length * blockAlign, 'wav', 'audio data');
      const mixed = samplesToFloat(stored, wav);
      for (let i = 0; i < mixed.length; i++) mixed[i]! += label[Math.floor(i / channels)]!;
      edits.push({ start: frameOffset(frame), end: frameOffset(frame) + stored.length, insert: floatToSamples(mixed, wav) });
    }
    return { plan: splicePlan(source.size, edits), programme, sampleRate, labelFrames: label.length, labelStarts: at };
  }
  const stored = labelBytes(label, wav);
  for (const frame of at) edits.push({ start: frameOffset(frame), end: frameOffset(frame), insert: stored });
  const added = at.length * stored.length;
  // The data chunk's pad byte (RIFF: chunks are word-aligned) comes or goes with the new parity.
  const size = data.size + added;
  const padEnd = data.dataOffset + data.size;
  let padChange = 0;
  if (data.size % 2 === 1 && size % 2 === 0 && data.end > padEnd) {
    edits.push({ start: padEnd, end: padEnd + 1, insert: new Uint8Array(0) });
    padChange = -1;
  } else if (data.size % 2 === 0 && size % 2 === 1) {
    edits.push({ start: padEnd, end: padEnd, insert: new Uint8Array(1) });
    padChange = 1;
  }
  const growth = added + padChange;
  if (file.ds64) {
    // RF64/BW64 (EBU Tech 3306): the 64-bit sizes live in ds64; the 32-bit fields stay placeholders.
    const body = file.ds64.chunk.dataOffset;
    edits.push(u64Edit(body, file.ds64.riffSize + growth), u64Edit(body + 8, file.ds64.dataSize + added));
    if (file.ds64.sampleCount > 0) edits.push(u64Edit(body + 16, file.ds64.sampleCount + at.length * label.length));
    if (u32le(await source.read(data.offset + 4, 4), 0) !== 0xffffffff) edits.push(u32Edit(data.offset + 4, size));
  } else {
    if (file.end - 8 + growth > 0xffffffff) return null;
    edits.push(u32Edit(4, file.header.declaredSize + growth), u32Edit(data.offset + 4, size));
  }
  const inserted = (frame: number) => at.filter((p) => p <= frame).length * label.length;
  const fact = file.chunks.find((c) => c.id === 'fact' && c.size >= 4);
  if (fact) edits.push(u32Edit(fact.dataOffset, u32le(await source.read(fact.dataOffset, 4), 0) + at.length * label.length));
  const cue = file.chunks.find((c) => c.id === 'cue ');
  const cues = cue ? await shiftedCues(source, cue, (frame) => frame + inserted(frame)) : null;
  if (cues) edits.push(cues);
  return {
    plan: splicePlan(source.size, edits),
    programme,
    sampleRate,
    labelFrames: label.length,
    // Each earlier label shifts the later ones.
    labelStarts: at.map((frame, index) => frame + index * label.length),
  };
}

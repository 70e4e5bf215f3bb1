/**
 * Audible labels spliced into an MP3 without re-encoding it: the label alone is encoded (LAME,
 * through ffmpeg, at the file's sample rate, channel count and bit rate) and its frames go in
 * front of the first audio frame or after the last. Every frame of the file is copied byte for
 * byte, and so are its tags. Two things make this exact:
 * - the bit reservoir: a frame may take its audio data from the frames before it
 *   (main_data_begin, ISO/IEC 11172-3 §2.4.1.7), so frames go in only where the frame after them
 *   takes nothing from before (the first frame of a stream never does, nor does a new
 *   encoder's first);
 * - the encoder delay and padding: the Xing/Info frame, when there is one, is rewritten with
 *   the new frame and byte counts, seek table, music length and CRCs, and the delay of what now
 *   starts the stream and the padding of what ends it, so gapless players trim the right samples.
 * A label elsewhere (the middle, a time) or mixed over the content needs the frames it lands in
 * re-encoded with the reservoir repacked around them; that is not done here, so those files are
 * re-encoded whole.
 */
import { type ByteSource, bytesSource, crc16Arc, MalformedInputError, readExact, type Segment } from '@aigc-label/core';
import { ffmpegPath, runToolOrThrow } from '@aigc-label/ffmpeg';
import { type MpegFrameHeader, mpegFrameHeader } from '../mp3/frame-header.js';
import { programmeFromExcerpts } from './excerpts.js';
import { decodeMp3Frames } from './in-process.js';
import { type MpegFrames, mainDataBegin, readXingHeader, rewriteXingFrame, walkMpegFrames } from './mpeg-frames.js';
import { type LabelFactory, type LabelMode, type LabelPosition, type SpliceAttempt, spliceEnds } from './splice.js';

/** LAME's encoder delay (ENCDELAY) and the decoder delay of the MDCT/polyphase filter bank, in samples. */
const ENCODER_DELAY = 576;
const DECODER_DELAY = 529;
/** Frames decoded before an excerpt and dropped: they refill the bit reservoir and the filter bank. */
const WARM_UP_FRAMES = 2;
const BITRATES_V1 = [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const BITRATES_V2 = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

/** The bit rate for the label's frames: the file's, or for a VBR file the lowest standard rate at or above its average. */
function labelBitrate(first: MpegFrameHeader, averageKbps: number | null): number {
  const rates = first.version === 3 ? BITRATES_V1 : BITRATES_V2;
  if (averageKbps === null) return first.bitrateKbps;
  return rates.find((rate) => rate >= averageKbps) ?? rates[rates.length - 1]!;
}

/** Encodes the mono label, spread over `channels`, as bare MP3 frames (no tags, no Info frame). */
async function encodeLabel(label: Float32Array, first: MpegFrameHeader, kbps: number): Promise<Uint8Array> {
  const interleaved = new Float32Array(label.length * first.channels);
  for (let i = 0; i < label.length; i++) interleaved.fill(label[i]!, i * first.channels, (i + 1) * first.channels);
  const rate = String(first.sampleRate);
  const channels = String(first.channels);
  const { stdout } = await runToolOrThrow(
    ffmpegPath(),
    [
      ...['-f', 'f32le', '-ar', rate, '-ac', channels, '-i', 'pipe:0'],
      ...['-c:a', 'libmp3lame', '-b:a', `${kbps}k`, '-ar', rate, '-ac', channels],
      ...['-write_xing', '0', '-id3v2_version', '0', '-write_id3v1', '0', '-f', 'mp3', 'pipe:1'],
    ],
    {
      stdin: new Uint8Array(interleaved.buffer),
      failure: (tail, code) => new MalformedInputError('audio', `ffmpeg cannot encode the label: ${tail || `exit code ${code}`}`),
    },
  );
  return stdout;
}

/** Interleaved float of the frames in `[from, to)`, the reservoir warmed up on the frames before. */
async function decodeSpan(source: ByteSource, frames: MpegFrames, from: number, to: number, first: MpegFrameHeader): Promise<Float32Array> {
  const warm = Math.max(0, from - WARM_UP_FRAMES);
  const start = frames.offsets[warm]!;
  const bytes = await readExact(source, start, frames.offsets[to]! - start, 'mp3', 'MPEG audio frames');
  return decodeMp3Frames(bytes, first.channels, first.samples, from - warm);
}

/** The CRC-16 of the audio frames in output order, as the LAME tag stores it ("music CRC"). */
async function musicCrc(parts: readonly (Uint8Array | { from: number; length: number })[], source: ByteSource): Promise<number> {
  let crc = 0;
  for (const part of parts) {
    if (part instanceof Uint8Array) {
      crc = crc16Arc(part, crc);
      continue;
    }
    for (let done = 0; done < part.length; done += 1 << 20) {
      const n = Math.min(1 << 20, part.length - done);
      crc = crc16Arc(await readExact(source, part.from + done, n, 'mp3', 'MPEG audio frames'), crc);
    }
  }
  return crc;
}

/**
 * Splices the label into the MP3 whose frames start at `start` (after any leading ID3v2 tags),
 * or says why it cannot (see the module comment).
 */
export async function spliceMp3(
  source: ByteSource,
  start: number,
  positions: readonly LabelPosition[],
  mode: LabelMode,
  makeLabel: LabelFactory,
): Promise<SpliceAttempt> {
  const ends = spliceEnds(positions, mode, 'MP3', 'frames');
  if ('reason' in ends) return ends;
  const frames = await walkMpegFrames(source, start);
  if (!frames) return { reason: 'the MPEG frames could not be followed to the end (free format, a change of rate, or data between them)' };
  const first = frames.first;
  const firstFrame = await readExact(source, frames.offsets[0]!, first.length, 'mp3', 'first MPEG frame');
  const xing = readXingHeader(firstFrame, first);
  // A Fraunhofer VBRI header sits 32 bytes after the frame header.
  if (!xing && String.fromCharCode(...firstFrame.subarray(36, 40)) === 'VBRI') {
    return { reason: 'the MP3 has a VBRI header, which is not rewritten here' };
  }
  const audioFrom = xing ? 1 : 0;
  const audioFrames = frames.count - audioFrom;
  if (audioFrames < 1) return { reason: 'the MP3 has no audio frames' };
  const firstAudio = await readExact(source, frames.offsets[audioFrom]!, 8, 'mp3', 'MPEG frame');
  const firstAudioHeader = mpegFrameHeader(firstAudio, 0)!;
  if (ends.has('start') && mainDataBegin(firstAudio, firstAudioHeader) !== 0) {
    return { reason: 'the first audio frame takes data from before it (bit reservoir), so nothing can go in front of it' };
  }
  const audioBytes = frames.end - frames.offsets[audioFrom]!;
  // "Xing" marks a variable bit rate, "Info" a constant one.
  const variable = xing !== null && String.fromCharCode(...firstFrame.subarray(xing.at, xing.at + 4)) === 'Xing';
  const averageKbps = variable ? (audioBytes * 8 * first.sampleRate) / (audioFrames * first.samples) / 1000 : null;
  // The programme: the whole stream when short, else excerpts; positions are in sample frames.
  const totalSamples = audioFrames * first.samples;
  const programme = await programmeFromExcerpts(totalSamples, first.sampleRate, first.channels, async function* (span) {
    const from = audioFrom + Math.floor(span.start / first.samples);
    const to = Math.min(frames.count, audioFrom + Math.ceil((span.start + span.frames) / first.samples));
    if (to > from) yield await decodeSpan(source, frames, from, to, first);
  });
  const label = await makeLabel(first.sampleRate, programme);
  const encoded = await encodeLabel(label, first, labelBitrate(first, averageKbps));
  const labelFrames = await walkMpegFrames(bytesSource(encoded), 0);
  const labelFirst = labelFrames?.first;
  if (!labelFrames || labelFirst?.sampleRate !== first.sampleRate || labelFirst.version !== first.version) {
    throw new MalformedInputError('audio', 'the encoded label frames do not match the file (sample rate or MPEG version)');
  }
  if (mainDataBegin(encoded, labelFirst) !== 0)
    throw new MalformedInputError('audio', "the encoded label's first frame uses a bit reservoir");
  const labelPadding = labelFrames.count * first.samples - ENCODER_DELAY - label.length;

  // The output: what precedes the frames, the Info frame, [label], the file's frames, [label], what follows.
  const audio: Segment[] = [];
  if (ends.has('start')) audio.push(encoded);
  audio.push({ from: frames.offsets[audioFrom]!, length: audioBytes });
  if (ends.has('end')) audio.push(encoded);
  const segments: Segment[] = [];
  if (frames.offsets[0]! > 0) segments.push({ from: 0, length: frames.offsets[0]! });
  const added = ends.size * labelFrames.count;
  if (xing) {
    // Frame offsets in output order, from the Info frame's start (frame 0 when the count includes it).
    const outputOffsets: number[] = [0];
    let at = first.length;
    const push = (list: MpegFrames, base: number, from: number) => {
      for (let i = from; i < list.count; i++) outputOffsets.push(at + list.offsets[i]! - base);
      at += list.offsets[list.count]! - list.offsets[from]!;
    };
    if (ends.has('start')) push(labelFrames, 0, 0);
    push(frames, frames.offsets[audioFrom]!, audioFrom);
    if (ends.has('end')) push(labelFrames, 0, 0);
    const countsInfo = xing.frames === frames.count;
    segments.push(
      rewriteXingFrame(firstFrame, xing, {
        frames: (xing.frames ?? frames.count) + added,
        bytes: (xing.bytes ?? frames.end - frames.offsets[0]!) + ends.size * encoded.length,
        frameOffset: (index) => outputOffsets[countsInfo ? index : index + 1]!,
        delay: ends.has('start') ? ENCODER_DELAY : (xing.delay ?? ENCODER_DELAY),
        padding: ends.has('end') ? labelPadding : (xing.padding ?? 0),
        musicLength: at,
        musicCrc: await musicCrc(audio as (Uint8Array | { from: number; length: number })[], source),
      }),
    );
  }
  segments.push(...audio);
  if (frames.end < source.size) segments.push({ from: frames.end, length: source.size - frames.end });

  // Where each label plays once a decoder has trimmed the stream's delay.
  const sourceDelay = xing?.delay ?? 0;
  const trimmed = (ends.has('start') ? ENCODER_DELAY : sourceDelay) + DECODER_DELAY;
  const labelStarts: number[] = [];
  if (ends.has('start')) labelStarts.push(0);
  if (ends.has('end')) {
    const before = (ends.has('start') ? labelFrames.count : 0) + audioFrames;
    labelStarts.push(Math.max(0, before * first.samples + ENCODER_DELAY + DECODER_DELAY - trimmed));
  }
  return {
    spliced: { plan: { segments }, programme, sampleRate: first.sampleRate, labelFrames: label.length, labelStarts },
  };
}

/**
 * The pipeline shared by the rhythm and voice labels. Where the codec allows, the label is
 * spliced in: only the label's own samples or frames are new, and the file's audio is copied
 * (PCM WAV; MP3, Ogg Opus and FLAC with the label at the start or end; FLAC frames keep their
 * subframes but get new numbers and CRCs behind a start label). Otherwise the file is re-encoded
 * through ffmpeg: probe the source, measure its level in one streaming decode, build the label
 * for that level, then decode again, splice the label into the PCM and encode to the source's
 * own format. Metadata (including an existing AIGC implicit label) is copied with
 * `-map_metadata`, every other stream (cover art, other tracks, subtitles, data) with its
 * disposition and tags, and an Ogg or M4A file gets its own tags back whole (keep-tags.ts).
 */
import { resolve } from 'node:path';
import {
  type ByteSource,
  type Finding,
  finding,
  Rules,
  samePayload,
  toHex,
  UsageError,
  type WatermarkRequest,
  type WritePlan,
} from '@aigc-label/core';
import { timeoutForMedia } from '@aigc-label/ffmpeg';
import { detectWatermark } from '../watermark/detect.js';
import { watermarkPcm } from '../watermark/stream.js';
import { muxerFor, outputOptionsFor } from './encoding.js';
import { type AudioStreamInfo, decodePcmWithin, encodePcm, probeAudio, streamMaps } from './ffmpeg.js';
import { inProcessCodec } from './in-process.js';
import { keepsTagsAfterReencode, restoreTags } from './keep-tags.js';
import {
  type LabelFactory,
  type LabelMode,
  type LabelPosition,
  measureProgramme,
  type ProgrammeLevel,
  resolvePositions,
  type SpliceAttempt,
  spliceLabel,
} from './splice.js';
import { spliceFlac } from './splice-flac.js';
import { isIsoBmff, spliceM4a } from './splice-m4a.js';
import { spliceMp3 } from './splice-mp3.js';
import { spliceOpus } from './splice-opus.js';
import { spliceWav } from './splice-wav.js';

export interface ExplicitLabelPaths {
  /** The source audio file. */
  readonly input: string;
  /** Where to write the labelled copy (must differ from `input`); same format as the input. */
  readonly output: string;
  /**
   * The source's bytes. With them the label is spliced in where the codec allows (the result's
   * `spliced` plan; `output` is then not written), and a re-encoded Ogg or M4A file gets its
   * tags back (the result's `finish`).
   */
  readonly source?: ByteSource | undefined;
  /**
   * The audio watermark, embedded when the file is re-encoded for the label anyway: one
   * generation of coding, not two (issue 20). A spliced file is left unmarked; the result's
   * `watermarked` says which happened.
   */
  readonly watermark?: WatermarkRequest | undefined;
}

export interface PlacementOptions {
  /** GB 45438 §5.3 d): one or more of start, end, middle, or `{ atSeconds }`. Default `['start']`. */
  readonly positions?: readonly LabelPosition[];
  /** `insert` (default) shifts the content; `mix` lays the label over it and keeps the duration. */
  readonly mode?: LabelMode;
}

export interface ExplicitLabelResult {
  /** The source's probed format, which the output reproduces (re-encoded files only). */
  readonly source?: AudioStreamInfo | undefined;
  readonly mode: LabelMode;
  /** Where each label starts in the output, in seconds. */
  readonly labelStartsSeconds: readonly number[];
  /** Length of one label (tones or speech, with any padding), in seconds. */
  readonly labelSeconds: number;
  /** The programme level the label was scaled against. */
  readonly programme: ProgrammeLevel;
  /** The ffmpeg output options used to re-create the source's format (codec, bit rate, muxer); none when spliced. */
  readonly encoderOptions: readonly string[];
  /** The labeled file as new bytes and ranges of `paths.source`, when the label was spliced in; `output` is not written then. */
  readonly spliced?: WritePlan | undefined;
  /** For a re-encoded file: puts the source's tags back on what ffmpeg wrote to `output`. */
  readonly finish?: ((rendered: ByteSource) => Promise<{ source: ByteSource; findings: Finding[] }>) | undefined;
  /** Why the file was re-encoded rather than spliced, when its bytes were given. */
  readonly findings: readonly Finding[];
  /** The `watermark` asked for was embedded in the re-encode. */
  readonly watermarked: boolean;
  /** The mark the audio already carried under the request's key, so none was embedded. */
  readonly watermarkPresent?: Uint8Array | undefined;
}

/**
 * Decodes the input at its own rate and channel count, passes the samples through `transform`
 * and encodes them into `paths.output` in the source's format, keeping every other stream and
 * tag; Ogg and M4A tags are put back by `finish` when the source's bytes are given.
 */
export async function reencodeAudio(
  paths: ExplicitLabelPaths,
  source: AudioStreamInfo,
  timeoutMs: number,
  transform: (pcm: AsyncIterable<Float32Array>) => AsyncIterable<Float32Array>,
): Promise<Pick<ExplicitLabelResult, 'encoderOptions' | 'finish'>> {
  const muxer = muxerFor(source);
  const original = paths.source;
  const tagsPutBack = original !== undefined && keepsTagsAfterReencode(source.container);
  const outputOptions = outputOptionsFor(source, streamMaps(source, muxer, tagsPutBack).audioOutput);
  const format = { sampleRate: source.sampleRate, channels: source.channels };
  await encodePcm(transform(decodePcmWithin({ path: paths.input }, format, timeoutMs)), {
    ...format,
    channelLayout: source.channelLayout,
    output: paths.output,
    outputOptions,
    keepFrom: { path: paths.input, source, muxer, tagsPutBack },
    timeoutMs,
  });
  return {
    encoderOptions: outputOptions,
    finish: original && tagsPutBack ? (rendered) => restoreTags(source.container, original, rendered) : undefined,
  };
}

async function trySplice(
  source: ByteSource,
  positions: readonly LabelPosition[],
  mode: LabelMode,
  makeLabel: LabelFactory,
): Promise<SpliceAttempt> {
  const codec = await inProcessCodec(source);
  if (codec?.codec === 'pcm') {
    const spliced = await spliceWav(source, codec.wav, positions, mode, makeLabel);
    return spliced ? { spliced } : { reason: 'the WAV has placeholder sizes, or its RIFF would pass 4 GiB' };
  }
  if (codec?.codec === 'mp3') return spliceMp3(source, codec.start, positions, mode, makeLabel);
  if (codec?.codec === 'opus') return spliceOpus(source, positions, mode, makeLabel);
  if (codec?.codec === 'flac') return spliceFlac(source, codec.start, positions, mode, makeLabel);
  if (!codec && (await isIsoBmff(source))) return spliceM4a(source, positions, mode, makeLabel);
  return { reason: `splicing is done for PCM WAV, MP3, Ogg Opus, FLAC and M4A; ${codec?.codec ?? 'this codec'} is re-encoded whole` };
}

/** Applies an audible label built by `makeLabel` to a file: spliced in where the codec allows, else re-encoded to the same format. */
export async function applyExplicitAudioLabel(
  paths: ExplicitLabelPaths,
  placement: PlacementOptions,
  makeLabel: LabelFactory,
): Promise<ExplicitLabelResult> {
  if (resolve(paths.input) === resolve(paths.output)) throw new UsageError('the output must be a different file from the input');
  const mode = placement.mode ?? 'insert';
  const positions = placement.positions ?? ['start'];
  const findings: Finding[] = [];
  if (paths.source) {
    const attempt = await trySplice(paths.source, positions, mode, makeLabel);
    if ('spliced' in attempt) {
      const { spliced } = attempt;
      return {
        mode,
        labelStartsSeconds: spliced.labelStarts.map((frame) => frame / spliced.sampleRate),
        labelSeconds: spliced.labelFrames / spliced.sampleRate,
        programme: spliced.programme,
        encoderOptions: [],
        spliced: spliced.plan,
        findings,
        watermarked: false,
      };
    }
    findings.push(finding('explicit/audio-reencoded', 'info', `the audio stream was re-encoded for the audible label: ${attempt.reason}`));
  }
  const source = await probeAudio(paths.input);
  muxerFor(source); // refuses unsupported formats before any work
  const format = { sampleRate: source.sampleRate, channels: source.channels };
  // Both passes take as long as the media: allowed half real time on top of the runner's default,
  // far slower than any codec here even on a busy machine, so only a hung ffmpeg is stopped.
  const timeoutMs = timeoutForMedia(source.durationSeconds ?? 0, 2_000);
  const programme = await measureProgramme(decodePcmWithin({ path: paths.input }, format, timeoutMs), source.channels, source.sampleRate);
  const label = await makeLabel(source.sampleRate, programme);
  const at = resolvePositions(positions, programme.frames, label.length, source.sampleRate, mode);
  const { watermark, present } = await unlessMarked(paths, findings);
  const encoded = await reencodeAudio(paths, source, timeoutMs, (pcm) => {
    const labeled = spliceLabel(pcm, label, source.channels, at, mode);
    return watermark ? watermarkPcm(labeled, format, watermark.payload, { key: watermark.key }) : labeled;
  });
  // In insert mode each earlier label shifts the later ones.
  const starts = at.map((frame, index) => (frame + (mode === 'insert' ? index * label.length : 0)) / source.sampleRate);
  return {
    source,
    mode,
    labelStartsSeconds: starts,
    labelSeconds: label.length / source.sampleRate,
    programme,
    ...encoded,
    findings,
    watermarked: watermark !== undefined,
    ...(present ? { watermarkPresent: present } : {}),
  };
}

/**
 * The mark to embed in the re-encode, unless the audio already carries one under the same key:
 * a second mark over it could make it unreadable, and a watermark is an implicit label that must
 * not be hidden (Measures Art. 10).
 */
async function unlessMarked(
  paths: ExplicitLabelPaths,
  findings: Finding[],
): Promise<{ watermark: WatermarkRequest | undefined; present: Uint8Array | undefined }> {
  const { watermark } = paths;
  if (!watermark) return { watermark, present: undefined };
  const existing = await detectWatermark({ path: paths.input }, { key: watermark.key });
  if (!existing.found || !existing.payload) return { watermark, present: undefined };
  const same = samePayload(existing.payload, watermark.payload);
  findings.push(
    finding(
      Rules.watermarkPresent,
      same ? 'info' : 'warning',
      same
        ? "the audio already carries this label's mark; it was not embedded again"
        : `the audio already carries a mark (payload ${toHex(existing.payload)}); no second mark was embedded`,
    ),
  );
  return { watermark: undefined, present: existing.payload };
}

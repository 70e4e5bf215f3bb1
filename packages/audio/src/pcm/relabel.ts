/**
 * The pipeline shared by the rhythm and voice labels: probe the source, measure its level in
 * one streaming decode, build the label for that level, then decode again, splice the label in
 * and re-encode to the source's own format. Metadata (including an existing AIGC implicit
 * label) is copied with `-map_metadata`; cover art is copied where the container has it.
 */
import { resolve } from 'node:path';
import { UsageError } from '@aigc-label/core';
import { timeoutForMedia } from '@aigc-label/ffmpeg';
import { carriesCoverArt, outputOptionsFor } from './encoding.js';
import { type AudioStreamInfo, decodePcmWithin, encodePcm, probeAudio } from './ffmpeg.js';
import { type LabelMode, type LabelPosition, measureProgramme, type ProgrammeLevel, resolvePositions, spliceLabel } from './splice.js';

export interface ExplicitLabelPaths {
  /** The source audio file. */
  readonly input: string;
  /** Where to write the labelled copy (must differ from `input`); same format as the input. */
  readonly output: string;
}

export interface PlacementOptions {
  /** GB 45438 §5.3 d): one or more of start, end, middle, or `{ atSeconds }`. Default `['start']`. */
  readonly positions?: readonly LabelPosition[];
  /** `insert` (default) shifts the content; `mix` lays the label over it and keeps the duration. */
  readonly mode?: LabelMode;
}

export interface ExplicitLabelResult {
  /** The source's probed format, which the output reproduces. */
  readonly source: AudioStreamInfo;
  readonly mode: LabelMode;
  /** Where each label starts in the output, in seconds. */
  readonly labelStartsSeconds: readonly number[];
  /** Length of one label (tones or speech, with any padding), in seconds. */
  readonly labelSeconds: number;
  /** The programme level the label was scaled against. */
  readonly programme: ProgrammeLevel;
  /** The ffmpeg output options used to re-create the source's format (codec, bit rate, muxer). */
  readonly encoderOptions: readonly string[];
}

/** Builds the mono label at the content's sample rate for the measured programme level. */
export type LabelFactory = (sampleRate: number, programme: ProgrammeLevel) => Float32Array | Promise<Float32Array>;

/**
 * Decodes the input at its own rate and channel count, passes the samples through `transform`
 * and encodes them into `paths.output` in the source's format (`outputOptions`), with its
 * metadata and any cover art copied.
 */
export async function reencodeAudio(
  paths: ExplicitLabelPaths,
  source: AudioStreamInfo,
  outputOptions: readonly string[],
  timeoutMs: number,
  transform: (pcm: AsyncIterable<Float32Array>) => AsyncIterable<Float32Array>,
): Promise<void> {
  const format = { sampleRate: source.sampleRate, channels: source.channels };
  await encodePcm(transform(decodePcmWithin({ path: paths.input }, format, timeoutMs)), {
    ...format,
    channelLayout: source.channelLayout,
    output: paths.output,
    outputOptions,
    metadataFrom: paths.input,
    copyVideo: carriesCoverArt(source),
    timeoutMs,
  });
}

/** Applies an audible label built by `makeLabel` to a file, writing a new file of the same format. */
export async function applyExplicitAudioLabel(
  paths: ExplicitLabelPaths,
  placement: PlacementOptions,
  makeLabel: LabelFactory,
): Promise<ExplicitLabelResult> {
  if (resolve(paths.input) === resolve(paths.output)) throw new UsageError('the output must be a different file from the input');
  const source = await probeAudio(paths.input);
  const outputOptions = outputOptionsFor(source); // refuses unsupported formats before any work
  const format = { sampleRate: source.sampleRate, channels: source.channels };
  // Both passes take as long as the media: allowed half real time on top of the runner's default,
  // far slower than any codec here even on a busy machine, so only a hung ffmpeg is stopped.
  const timeoutMs = timeoutForMedia(source.durationSeconds ?? 0, 2_000);
  const programme = await measureProgramme(decodePcmWithin({ path: paths.input }, format, timeoutMs), source.channels, source.sampleRate);
  const label = await makeLabel(source.sampleRate, programme);
  const mode = placement.mode ?? 'insert';
  const positions = resolvePositions(placement.positions ?? ['start'], programme.frames, label.length, source.sampleRate, mode);
  await reencodeAudio(paths, source, outputOptions, timeoutMs, (pcm) => spliceLabel(pcm, label, source.channels, positions, mode));
  // In insert mode each earlier label shifts the later ones.
  const starts = positions.map((frame, index) => (frame + (mode === 'insert' ? index * label.length : 0)) / source.sampleRate);
  return {
    source,
    mode,
    labelStartsSeconds: starts,
    labelSeconds: label.length / source.sampleRate,
    programme,
    encoderOptions: outputOptions,
  };
}

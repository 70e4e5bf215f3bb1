/**
 * The visible video label's entry point: probe the source, prepare the overlay and the context
 * both renders share, then smart render (smart-render.ts) or full render (full-render.ts).
 */
import { type Finding, finding, UnsupportedFormatError, UsageError } from '@aigc-label/core';
import { defaultBinaries, type FfmpegBinaries } from '@aigc-label/ffmpeg';
import type { AvcParameterSets } from '../mp4/parameter-sets.js';
import { fullRender } from './full-render.js';
import { type LabelInterval, type LabelPosition, labelIntervals, PacketClock } from './plan.js';
import { displaySize, probeInStages } from './probe.js';
import { needsMatroskaMuxer } from './render-args.js';
import { keyframeNals, type RenderContext } from './render-context.js';
import { trySmartRender } from './smart-render.js';
import type { OutputChecks } from './verify.js';

/** GB 45438 §5.4: the label stays on the start frames for at least 2 s at normal speed. */
export const MIN_VISIBLE_SECONDS = 2;

export interface RhythmLabelMix {
  /** WAV bytes of the audio rhythm label for the track's sample rate and channel count; mixed in where each visible label starts. */
  wav(audio: { readonly sampleRate: number; readonly channels: number }): Promise<Uint8Array>;
}

export interface VisibleVideoLabelOptions {
  readonly input: string;
  readonly output: string;
  /** A directory the caller owns and removes afterwards; re-encoded heads are written there. */
  readonly workDir: string;
  /** Draws the label as a transparent PNG exactly the size of the displayed frame. */
  readonly overlay: (frame: { readonly width: number; readonly height: number }) => Promise<Uint8Array>;
  /** Seconds the label shows at each position; never below 2 (GB 45438 §5.4). */
  readonly duration?: number;
  readonly at?: readonly LabelPosition[];
  readonly audioLabel?: RhythmLabelMix;
  /** `smart` re-encodes only the labelled GOPs or throws; `full` re-encodes everything; `auto` tries smart first. */
  readonly mode?: 'auto' | 'smart' | 'full';
  /** x264/x265 speed preset for re-encoded frames (default: the encoder's own, `medium`). */
  readonly encoderPreset?: string;
  readonly binaries?: FfmpegBinaries;
}

export interface VisibleVideoLabelResult {
  readonly mode: 'smart' | 'full';
  /** Why this mode was used (for `full`, why smart render was not possible or not asked for). */
  readonly reason: string;
  readonly reencodedSeconds: number;
  readonly intervals: readonly LabelInterval[];
  readonly encoder: string;
  readonly checks: OutputChecks;
  /** Wall-clock seconds spent on the output checks (included in the call's time). */
  readonly verifySeconds: number;
  /**
   * H.264 smart render: the re-encoded GOPs' own SPS/PPS (numbered apart from the source's), which
   * they carry in-band. An `avc1` track should list them in its sample entry too; for MP4/MOV
   * output, `planAvcParameterSets` does that. Undefined when there are none.
   */
  readonly addedParameterSets?: AvcParameterSets;
  /** A clip shorter than the label's 2 s (GB 45438 §5.4), labelled throughout. */
  readonly findings: readonly Finding[];
  /** The output was written as Matroska into a .webm name (H.264/H.265); its DocType must be set to "webm" (`webmDocTypePlan`). */
  readonly webmDocType: boolean;
}

/** What one render (smart or full) reports; the call adds what it knows itself. */
export type RenderResult = Omit<VisibleVideoLabelResult, 'findings' | 'webmDocType'>;

/**
 * Burns a visible label into a video (GB 45438 §5.4). Where the stream allows it, only the GOPs the label
 * spans are re-encoded and every other packet is copied byte for byte; otherwise the whole video is
 * re-encoded at the source's bit rate. The output is probed and decoded before this returns.
 */
export async function applyVisibleVideoLabel(options: VisibleVideoLabelOptions): Promise<VisibleVideoLabelResult> {
  const seconds = options.duration ?? 3;
  if (!(seconds >= MIN_VISIBLE_SECONDS))
    throw new UsageError(`the visible label must show for at least ${MIN_VISIBLE_SECONDS} s (GB 45438 §5.4), not ${seconds}`);
  const at = options.at ?? ['start'];
  if (at.length === 0) throw new UsageError('say where the label shows: start, middle, end or whole');
  if (options.output === options.input) throw new UsageError('the output must be a new file, not the input');
  const tools = options.binaries ?? defaultBinaries();
  const { info, listing } = await probeInStages(tools, options.input, 'hashes');
  const frame = displaySize(info);
  // The overlay and the sound label are drawn while the packets are listed, then the first keyframe read.
  const drawing = (async () => {
    const png = await options.overlay(frame);
    checkPngSize(png, frame);
    return { png, wav: options.audioLabel && info.audio ? await options.audioLabel.wav(info.audio) : undefined };
  })();
  drawing.catch(() => {}); // awaited below; a failed listing must not leave it unhandled
  const { packets, hashes, indexedBy, packetNals } = await listing;
  const clock = new PacketClock(packets, info);
  const intervals = labelIntervals(info.duration, seconds, at);
  const firstKeyframe =
    info.codec === 'h264' || info.codec === 'hevc'
      ? (packetNals?.(0) ?? keyframeNals(tools, options.input, info, clock.absolute(0)))
      : Promise.resolve([]);
  firstKeyframe.catch(() => {}); // awaited below; a drawing failure must not leave it unhandled
  const { png: overlayPng, wav: labelWav } = await drawing;
  const sourceNals = await firstKeyframe;
  const context: RenderContext = {
    options,
    tools,
    info,
    clock,
    intervals,
    overlayPng,
    labelWav,
    sourceNals,
    hashes,
    indexedBy,
    packetNals,
  };

  const mode = options.mode ?? 'auto';
  const extra = {
    findings:
      info.duration < seconds
        ? [
            finding(
              'gb45438/5.4-short-video',
              'warning',
              `the video lasts ${info.duration.toFixed(2)} s, less than the ${seconds} s a visible label should show (GB 45438 §5.4); it shows on every frame`,
            ),
          ]
        : [],
    webmDocType: needsMatroskaMuxer(options.output, info),
  };
  let reason = 'full re-encode requested';
  if (mode !== 'full') {
    const smart = await trySmartRender(context);
    if (smart.ok) return { ...smart.result, ...extra };
    if (mode === 'smart') throw new UnsupportedFormatError(`smart render not possible: ${smart.reason}`);
    reason = smart.reason;
  }
  return { ...(await fullRender(context, reason)), ...extra };
}

/** The PNG must match the displayed frame, or the label would be stretched or cut (IHDR width and height). */
function checkPngSize(png: Uint8Array, frame: { width: number; height: number }): void {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const isPng = png.length > 24 && view.getUint32(0) === 0x89504e47 && view.getUint32(12) === 0x49484452;
  if (!isPng) throw new UsageError('the overlay is not a PNG');
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width !== frame.width || height !== frame.height) {
    throw new UsageError(`the overlay PNG is ${width}x${height}, the displayed frame is ${frame.width}x${frame.height}`);
  }
}

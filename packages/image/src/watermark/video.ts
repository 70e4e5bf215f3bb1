import { toHex, UsageError } from '@aigc-label/core';
import { type DetectOptions, detectionPlane, READING_FALSE_POSITIVE_BOUND, readPlane, type WatermarkDetection } from './detect.js';
import type { Plane } from './plane.js';
import type { RawPixels } from './raw.js';

/**
 * Video: every frame carries the image mark (embedWatermark per decoded frame, same key and
 * payload, so the tiles sit at the same place in every frame). Detection samples frames and
 * combines them two ways:
 *
 * - soft combining: the whitened planes of all sampled frames are averaged before
 *   synchronisation, so the mark, identical in every frame, adds up while moving content
 *   averages out (as JAWS accumulates frames for broadcast monitoring, Kalker et al. 1999);
 * - voting: each frame is also read on its own (when the average does not decode, or always
 *   with `readEachFrame`), and payloads found in single frames are counted; a clip spliced
 *   from differently marked sources shows up as several payloads.
 *
 * Frames of another size (a stream switching resolution) are combined separately.
 */

/** Frames kept for per-frame reading; more are still averaged in. */
const MAX_KEPT_FRAMES = 64;

export interface PayloadVote {
  readonly payload: Uint8Array;
  /** Frames read on their own that gave this payload. */
  readonly frames: number;
}

export interface VideoWatermarkDetection {
  /** A payload was found, in the averaged frames or in at least one frame. */
  readonly found: boolean;
  /** The payload decided on: the averaged frames' when that decodes, else the most voted. */
  readonly payload?: Uint8Array;
  readonly framesExamined: number;
  /** The reading of the averaged frames (of the most common frame size). */
  readonly combined: WatermarkDetection;
  /** Payloads found in single frames, most frames first (empty when frames were not read one by one). */
  readonly votes: readonly PayloadVote[];
  /** Bound on the chance that unmarked video gives a detection: every reading made × 3 × 8 × 2^-32. */
  readonly falsePositiveBound: number;
}

interface SizeGroup {
  readonly sum: Float32Array;
  readonly width: number;
  readonly height: number;
  readonly scale: number;
  readonly kept: Plane[];
  count: number;
}

export interface VideoDetectOptions extends DetectOptions {
  /** Read every kept frame on its own too, even when the average decodes (default false: about 40 ms per 1080p frame). */
  readonly readEachFrame?: boolean | undefined;
  /**
   * Frames read on their own at most, spread evenly over those kept (default all kept, up to 64):
   * each reading costs about as much as one image's, so a reader with a time budget caps it.
   */
  readonly maxFramesRead?: number | undefined;
}

/** `count` indexes spread evenly over 0..length-1, first and last included. */
const spread = (length: number, count: number): number[] =>
  count >= length
    ? [...Array(length).keys()]
    : [...new Set(Array.from({ length: count }, (_, i) => Math.round((i * (length - 1)) / Math.max(1, count - 1))))];

/** Collects sampled frames (raw pixels) and reads the mark from them together. */
export class VideoWatermarkDetector {
  readonly #groups = new Map<string, SizeGroup>();
  #frames = 0;

  constructor(private readonly options: VideoDetectOptions = {}) {}

  /** Adds one decoded frame. Only the detector's small whitened plane is kept, not the pixels. */
  addFrame(frame: RawPixels): void {
    const { residual, scale } = detectionPlane(frame);
    const id = `${frame.width}x${frame.height}`;
    let group = this.#groups.get(id);
    if (!group) {
      group = { sum: new Float32Array(residual.data.length), width: residual.width, height: residual.height, scale, kept: [], count: 0 };
      this.#groups.set(id, group);
    }
    for (let i = 0; i < residual.data.length; i++) group.sum[i] += residual.data[i]!;
    if (group.kept.length < MAX_KEPT_FRAMES) group.kept.push(residual);
    group.count++;
    this.#frames++;
  }

  /** Reads the frames added so far. */
  result(): VideoWatermarkDetection {
    if (this.#frames === 0) throw new UsageError('watermark: no video frames were added');
    let readings = 0;
    const groups = [...this.#groups.values()].sort((a, b) => b.count - a.count);
    let combined: WatermarkDetection | undefined;
    for (const group of groups) {
      const average = { data: group.sum.map((v) => v / group.count), width: group.width, height: group.height };
      const reading = readPlane(average, group.scale, this.options.key).detection;
      readings++;
      if (!combined || (reading.found && !combined.found)) combined = reading;
    }
    const votes = new Map<string, PayloadVote>();
    if (!combined!.found || this.options.readEachFrame) {
      for (const group of groups) {
        for (const index of spread(group.kept.length, this.options.maxFramesRead ?? MAX_KEPT_FRAMES)) {
          const plane = group.kept[index]!;
          const { detection } = readPlane(plane, group.scale, this.options.key);
          readings++;
          if (!detection.found) continue;
          const id = toHex(detection.payload!);
          votes.set(id, { payload: detection.payload!, frames: (votes.get(id)?.frames ?? 0) + 1 });
        }
      }
    }
    const ranked = [...votes.values()].sort((a, b) => b.frames - a.frames);
    const payload = combined!.found ? combined!.payload : ranked[0]?.payload;
    return {
      found: payload !== undefined,
      ...(payload ? { payload } : {}),
      framesExamined: this.#frames,
      combined: combined!,
      votes: ranked,
      falsePositiveBound: readings * READING_FALSE_POSITIVE_BOUND,
    };
  }
}

import { finding, Rules, toHex, type WatermarkCapability, type WatermarkUnsupported } from '@aigc-label/core';
import { defaultBinaries } from '@aigc-label/ffmpeg';
import type { LumaFrame } from './frames.js';

/** What the video mark borrows from the image package (the registry passes it in): the image mark on each frame's luma. */
export interface VideoWatermarkTools {
  /** The frame's luma with the mark added (a new buffer), and its PSNR. */
  markFrame(frame: LumaFrame, payload: Uint8Array, key: string | undefined): { readonly data: Uint8Array; readonly psnr: number };
  /** Loads what the other members use; awaited before any of them is called (they load with the mark, not with the format modules). */
  ready?(): Promise<void>;
  /** The shortest frame side the mark fits in, px. */
  readonly minSide: number;
  /** A reader that averages sampled frames, then reads at most `maxFramesRead` of them one by one and votes (the image package's VideoWatermarkDetector). */
  frameReader(key: string | undefined, maxFramesRead: number): VideoFrameReader;
}

export interface VideoFrameReader {
  addFrame(frame: LumaFrame): void;
  result(): {
    readonly found: boolean;
    readonly payload?: Uint8Array | undefined;
    readonly framesExamined: number;
    readonly falsePositiveBound: number;
    readonly combined: { readonly confidence: number; readonly syncScore: number };
  };
}

/**
 * The image mark on every frame of the first video stream (a full re-encode with the source's
 * codec family and bit rate target, every other stream copied), read from sampled keyframes:
 * averaged, then voted frame by frame.
 */
export function videoWatermark(tools: VideoWatermarkTools | undefined): WatermarkCapability | WatermarkUnsupported {
  if (!tools) return { unsupported: 'no frame watermark tools were passed to the video package' };
  return {
    summary: 'the image mark on every frame (full re-encode, other streams copied)',
    embedCost: 'media',
    detectCost: 'media',
    embedder: {
      input: 'file',
      async embed(paths, request) {
        const [{ embedVideoWatermark }] = await Promise.all([import('./embed.js'), tools.ready?.()]);
        const result = await embedVideoWatermark(defaultBinaries(), tools, paths, request);
        if (result.skipped) return { detail: '', findings: [], skipped: result.skipped };
        return {
          detail: `image mark on ${result.frames} frames (min PSNR ${result.minPsnr?.toFixed(1)} dB), full re-encode with ${result.encoder}`,
          findings: [],
        };
      },
    },
    async detect(input) {
      if (!input.path) {
        return {
          readings: [],
          findings: [finding(Rules.watermarkUnavailable, 'info', 'reading video frames needs a file; use detectFile')],
        };
      }
      const [{ detectVideoWatermark }] = await Promise.all([import('./detect.js'), tools.ready?.()]);
      const result = await detectVideoWatermark(defaultBinaries(), tools, input.path, input.key);
      if (!result?.found || !result.payload) return { readings: [], findings: [] };
      return {
        readings: [
          {
            payload: result.payload,
            confidence: result.combined.confidence,
            falsePositiveBound: result.falsePositiveBound,
            detail: `video watermark, payload ${toHex(result.payload)}, ${result.framesExamined} keyframes read`,
            where: 'video frames',
          },
        ],
        findings: [],
      };
    },
  };
}

import {
  type ByteSource,
  type Evidence,
  type ExplicitCapability,
  type ExplicitSearch,
  type ExplicitSearchResult,
  type Finding,
  type FoundMark,
  finding,
  planSource,
  type VisibleLabelOptions,
  type WritePlan,
} from '@aigc-label/core';
import { defaultBinaries } from '@aigc-label/ffmpeg';
import type { AvcParameterSets } from '../shared/avc-config.js';
import type { VideoWatermarkTools } from '../watermark/capability.js';

// The renderer and the frame sampler load when a label is drawn or frames are read, not with the format modules that hold this capability.
const rendering = () => import('./apply-visible-label.js');

/**
 * What a video's explicit label borrows from the other modalities: the image package draws the
 * label and reads it by OCR, the audio package hears the sound track's audible label. The
 * registry passes them in, so this package imports no other media package.
 */
export interface VideoLabelTools {
  /** The visible label as a transparent PNG exactly the size of the displayed frame. */
  renderOverlay(frame: { readonly width: number; readonly height: number }, visible: VisibleLabelOptions | undefined): Promise<Uint8Array>;
  /** Visible labels in one frame (PNG), as evidence of kind `explicit-video-label`. */
  readFrame(png: Uint8Array, where: string): Promise<ExplicitSearchResult>;
  /** The search for audible labels, run on the sound track. */
  readonly audibleSearch: ExplicitSearch;
  /** The image mark on frames, for the video watermark (absent: video carries no mark). */
  readonly watermark?: VideoWatermarkTools | undefined;
}

/**
 * A container's way to list the re-encoded GOPs' H.264 parameter sets in its track header (the
 * MP4 avc1 sample entry, the Matroska CodecPrivate; ISO/IEC 14496-15 §5.3.2), as a plan over the
 * rendered file, or null when the header has no room.
 */
export type ParameterSetsPlanner = (source: ByteSource, sets: AvcParameterSets) => Promise<WritePlan | null>;

function frameSearch(tools: VideoLabelTools): ExplicitSearch {
  return {
    enabledBy: 'ocr',
    cost: 'media',
    async run(input) {
      if (!input.path) {
        return {
          evidence: [],
          findings: [finding('explicit/ocr-needs-file', 'info', 'reading video frames needs a file; use detectFile')],
        };
      }
      const evidence: Evidence[] = [];
      const findings: Finding[] = [];
      const marks: FoundMark[] = [];
      const { sampleFrames } = await import('./frames.js');
      for (const frame of await sampleFrames(defaultBinaries(), input.path)) {
        const read = await tools.readFrame(frame.png, `frame at ${frame.seconds.toFixed(1)} s`);
        evidence.push(...read.evidence);
        findings.push(...read.findings);
        marks.push(...(read.marks ?? []));
      }
      return { evidence, findings, marks };
    },
  };
}

/**
 * The visible label of GB 45438 §5.4: the image package's label rendered at the display size and
 * overlaid from the first frame (smart render: only the GOPs it spans are re-encoded). With
 * `planParameterSets`, the new GOPs' parameter sets also join the track header.
 */
export function visibleVideoLabel(tools: VideoLabelTools, planParameterSets?: ParameterSetsPlanner): ExplicitCapability {
  return {
    summary: 'visible text label (≥ 2 s, smart render)',
    cost: 'media',
    customWording: true,
    searches: [tools.audibleSearch, frameSearch(tools)],
    labeler: {
      input: 'file',
      async apply({ input, output, workDir }, options) {
        const video = options.video ?? {};
        const placement = video.placement ?? video.at;
        const result = await (await rendering()).applyVisibleVideoLabel({
          input,
          output,
          workDir,
          ...(video.duration === undefined ? {} : { duration: video.duration }),
          ...(placement === undefined ? {} : { at: placement }),
          ...(video.mode === undefined ? {} : { mode: video.mode }),
          ...(video.encoderPreset === undefined ? {} : { encoderPreset: video.encoderPreset }),
          overlay: (frame) => tools.renderOverlay(frame, options.visible),
        });
        const shown = result.intervals.map((i) => `${i.start.toFixed(1)}-${i.end.toFixed(1)} s`).join(', ');
        const sets = result.addedParameterSets;
        const finishing = (sets && planParameterSets) || result.webmDocType;
        return {
          findings: [
            ...result.findings,
            ...(result.mode === 'full'
              ? [finding('explicit/full-reencode', 'info', `the whole video was re-encoded: ${result.reason}`)]
              : []),
          ],
          summary: {
            kind: 'video',
            detail: `visible label ${shown} (${result.mode} render, ${result.reencodedSeconds.toFixed(1)} s re-encoded)`,
          },
          finish: finishing
            ? async (rendered: ByteSource) => {
                let source = rendered;
                const findings: Finding[] = [];
                if (sets && planParameterSets) {
                  const plan = await planParameterSets(source, sets);
                  if (plan) source = planSource(plan, source);
                  else {
                    const why = 'the re-encoded GOPs carry their H.264 parameter sets in-band only; the track header had no room for them';
                    findings.push(finding('explicit/parameter-sets-in-band', 'info', why));
                  }
                }
                const docType = result.webmDocType ? await (await import('./webm-doctype.js')).webmDocTypePlan(source) : null;
                return { source: docType ? planSource(docType, source) : source, findings };
              }
            : undefined,
        };
      },
    },
  };
}

import { spawn } from 'node:child_process';
import {
  type AudibleLabelDetection,
  type LabelPosition as AudioPosition,
  applyRhythmLabel,
  applyVoiceLabel,
  type BuiltInVoicePrompt,
  detectAudibleLabels,
  type LabelMode,
  VOICE_PROMPTS,
} from '@aigc-label/audio';
import {
  type ByteSource,
  type Evidence,
  type Finding,
  type FormatHandler,
  finding,
  fromUtf8,
  planSource,
  UsageError,
  utf8,
} from '@aigc-label/core';
import { applyVisibleLabel, detectVisibleLabels, MIN_TEXT_HEIGHT_RATIO, renderLabelPng, type VisibleLabelOptions } from '@aigc-label/image';
import { type AddLabelOptions, addExplicitLabel, type TextFlavour } from '@aigc-label/text';
import {
  type AvcParameterSets,
  applyVisibleVideoLabel,
  defaultBinaries,
  planAvcParameterSets,
  planMatroskaAvcParameterSets,
  type VisibleVideoLabelOptions,
} from '@aigc-label/video';

/**
 * Explicit labels (显式标识, GB 45438 §5) through the facade: which formats get
 * one, how, and how they are found again. The media packages do the work; this
 * module only routes by format and turns results into findings and evidence.
 */

/** Options for the explicit label `label` adds before the metadata label. */
export interface ExplicitLabelOptions {
  /** Add the explicit label (default true where the format supports one). */
  readonly explicit?: boolean;
  /** Add it even when the file already carries a metadata label (normally skipped so labels do not pile up). */
  readonly redraw?: boolean;
  /** Image and video frame label: wording, corner, size (GB 45438 §5.2, §5.4). */
  readonly visible?: VisibleLabelOptions;
  /** Text label: wording, start/middle/end (§5.1). */
  readonly text?: Omit<AddLabelOptions, 'flavour'>;
  /**
   * Audio (§5.3): the ·−·· rhythm (default; where, and inserted or mixed), or with `voice` a
   * built-in spoken prompt inserted at the start and/or end.
   */
  readonly audio?: { readonly positions?: readonly AudioPosition[]; readonly mode?: LabelMode; readonly voice?: BuiltInVoicePrompt };
  /** Video: seconds shown (≥ 2, §5.4), where, render mode. */
  readonly video?: Pick<VisibleVideoLabelOptions, 'duration' | 'at' | 'mode' | 'encoderPreset'>;
}

/** What was added, for the label report. */
export interface ExplicitSummary {
  readonly kind: 'image' | 'text' | 'audio' | 'video';
  readonly detail: string;
}

export type ExplicitSupport = 'bytes' | 'file' | 'none';

const TEXT_FLAVOURS: Readonly<Record<string, TextFlavour>> = { markdown: 'markdown', txt: 'plain', html: 'html' };
// sharp encodes these back to the same format; HEIC (HEVC) it cannot.
const DRAWABLE_IMAGES = new Set(['png', 'jpeg', 'webp', 'gif', 'tiff', 'avif']);

/** How a format takes an explicit label: on bytes (image, text), through files (audio, video), or not at all. */
export function explicitSupport(handler: FormatHandler): ExplicitSupport {
  if (handler.kind === 'image') return DRAWABLE_IMAGES.has(handler.id) ? 'bytes' : 'none';
  if (handler.kind === 'text') return TEXT_FLAVOURS[handler.id] ? 'bytes' : 'none';
  return 'file';
}

/** Adds the explicit label to image or text bytes. */
export async function applyExplicitBytes(
  handler: FormatHandler,
  bytes: Uint8Array,
  options: ExplicitLabelOptions,
): Promise<{ bytes: Uint8Array; findings: Finding[]; summary: ExplicitSummary }> {
  if (handler.kind === 'image') {
    const result = await applyVisibleLabel(bytes, options.visible);
    const box = result.box;
    return {
      bytes: result.bytes,
      findings: [...result.findings],
      summary: {
        kind: 'image',
        detail: `visible label at ${box.position}, text height ${box.inkHeight} px (${(box.ratio * 100).toFixed(1)}% of the shortest side), contrast ${result.contrast.ratio.toFixed(1)}:1`,
      },
    };
  }
  const flavour = TEXT_FLAVOURS[handler.id];
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const text = fromUtf8(bom ? bytes.subarray(3) : bytes);
  const labeled = addExplicitLabel(text, { ...options.text, flavour });
  const out = utf8(labeled.text);
  const withBom = bom ? Uint8Array.from([0xef, 0xbb, 0xbf, ...out]) : out;
  const notes = labeled.placements.flatMap((p) => (p.note ? [finding('explicit/placement', 'info', p.note)] : []));
  return {
    bytes: withBom,
    findings: notes,
    summary: { kind: 'text', detail: `"${labeled.label}" at ${labeled.placements.map((p) => p.position).join(', ')}` },
  };
}

/** Adds the explicit label to an audio or video file, writing `output` (same format). */
export async function applyExplicitFile(
  handler: FormatHandler,
  input: string,
  output: string,
  workDir: string,
  options: ExplicitLabelOptions,
): Promise<{ findings: Finding[]; summary: ExplicitSummary; parameterSets?: AvcParameterSets }> {
  if (handler.kind === 'audio' && options.audio?.voice) {
    const { voice, positions = ['start'] } = options.audio;
    const ends = positions.filter((p): p is 'start' | 'end' => p === 'start' || p === 'end');
    if (ends.length !== positions.length) throw new UsageError('a voice prompt goes at the start and/or the end (GB 45438 §5.3 d))');
    const result = await applyVoiceLabel({ input, output, voice, positions: ends });
    return {
      findings: [],
      summary: {
        kind: 'audio',
        detail: `voice prompt "${VOICE_PROMPTS[voice].text}" (${result.labelSeconds.toFixed(2)} s) at ${result.labelStartsSeconds.map((s) => `${s.toFixed(2)} s`).join(', ')}`,
      },
    };
  }
  if (handler.kind === 'audio') {
    const result = await applyRhythmLabel({ input, output, ...options.audio });
    return {
      findings: [],
      summary: {
        kind: 'audio',
        detail: `rhythm label ·−·· (${result.labelSeconds.toFixed(2)} s, ${result.mode}) at ${result.labelStartsSeconds.map((s) => `${s.toFixed(2)} s`).join(', ')}`,
      },
    };
  }
  const result = await applyVisibleVideoLabel({
    input,
    output,
    workDir,
    ...options.video,
    overlay: async (frame) => (await renderLabelPng(frame.width, frame.height, options.visible)).png,
  });
  const shown = result.intervals.map((i) => `${i.start.toFixed(1)}-${i.end.toFixed(1)} s`).join(', ');
  return {
    findings: result.mode === 'full' ? [finding('explicit/full-reencode', 'info', `the whole video was re-encoded: ${result.reason}`)] : [],
    ...(result.addedParameterSets ? { parameterSets: result.addedParameterSets } : {}),
    summary: {
      kind: 'video',
      detail: `visible label ${shown} (${result.mode} render, ${result.reencodedSeconds.toFixed(1)} s re-encoded)`,
    },
  };
}

/**
 * The visibly labeled video as a source whose track header (the MP4 avc1 sample entry, the
 * Matroska CodecPrivate) also lists the re-encoded GOPs' own H.264 parameter sets (ISO/IEC
 * 14496-15 §5.3.2): a decoder may read them from there only. It is read through a plan, so
 * the metadata label is written over it with no extra copy of the file.
 */
export async function withParameterSets(
  handler: FormatHandler,
  source: ByteSource,
  sets: AvcParameterSets | undefined,
): Promise<{ source: ByteSource; findings: Finding[] }> {
  if (!sets || (handler.id !== 'mp4' && handler.id !== 'matroska')) return { source, findings: [] };
  const plan = handler.id === 'mp4' ? await planAvcParameterSets(source, sets) : await planMatroskaAvcParameterSets(source, sets);
  if (plan) return { source: planSource(plan, source), findings: [] };
  const why = 'the re-encoded GOPs carry their H.264 parameter sets in-band only; the track header had no room for them';
  return { source, findings: [finding('explicit/parameter-sets-in-band', 'info', why)] };
}

export interface ExplicitDetectOptions {
  /** OCR images and sampled video frames for visible labels (slow; off by default). */
  readonly ocr?: boolean;
  /** Look for the audible labels, the ·−·· rhythm and the built-in voice prompts, in audio and video sound tracks (default true). */
  readonly rhythm?: boolean;
}

export interface ExplicitDetection {
  readonly evidence: Evidence[];
  readonly findings: Finding[];
  /** True when every explicit-label form of this modality was looked for. */
  readonly checked: boolean;
}

/**
 * Looks for explicit labels in a file. Text formats report theirs through
 * `read`; this covers images (OCR), audio (rhythm) and video (rhythm, OCR of frames).
 */
export async function detectExplicit(
  handler: FormatHandler,
  input: { readonly path?: string; readonly bytes: () => Promise<Uint8Array> },
  options: ExplicitDetectOptions,
): Promise<ExplicitDetection> {
  const evidence: Evidence[] = [];
  const findings: Finding[] = [];
  const rhythm = options.rhythm !== false;
  if (handler.kind === 'text') return { evidence, findings, checked: TEXT_FLAVOURS[handler.id] !== undefined };
  if (handler.kind === 'image') {
    if (!options.ocr) return { evidence, findings, checked: false };
    await ocrInto(await input.bytes(), 'image', evidence, findings);
    return { evidence, findings, checked: true };
  }
  if (rhythm) {
    try {
      audibleInto(await detectAudibleLabels(input.path ? { path: input.path } : await input.bytes()), evidence);
    } catch (error) {
      findings.push(finding('explicit/rhythm-unavailable', 'info', `rhythm detection could not run: ${(error as Error).message}`));
    }
  }
  const framesRead = handler.kind === 'video' && options.ocr === true && input.path !== undefined;
  if (framesRead && input.path) {
    for (const frame of await sampleFrames(input.path))
      await ocrInto(frame.png, `frame at ${frame.seconds.toFixed(1)} s`, evidence, findings);
  } else if (handler.kind === 'video' && options.ocr) {
    findings.push(finding('explicit/ocr-needs-file', 'info', 'reading video frames needs a file; use detectFile'));
  }
  return { evidence, findings, checked: rhythm && (handler.kind === 'audio' || framesRead) };
}

function audibleInto(detection: AudibleLabelDetection, evidence: Evidence[]): void {
  for (const o of detection.voice.occurrences) {
    evidence.push({
      kind: 'audio-voice-label',
      detail: `voice prompt "${VOICE_PROMPTS[o.prompt].text}" at ${o.startSeconds.toFixed(2)}-${o.endSeconds.toFixed(2)} s, similarity ${o.similarity.toFixed(2)}`,
      where: o.position,
    });
  }
  for (const o of detection.rhythm.occurrences) {
    evidence.push({
      kind: 'audio-rhythm-label',
      detail: `·−·· at ${o.startSeconds.toFixed(2)}-${o.endSeconds.toFixed(2)} s (${o.position}), ${Math.round(o.toneHz)} Hz, unit ${Math.round(o.unitMs)} ms`,
      where: o.position,
    });
  }
}

async function ocrInto(bytes: Uint8Array, where: string, evidence: Evidence[], findings: Finding[]): Promise<void> {
  const result = await detectVisibleLabels(bytes);
  findings.push(...result.findings);
  for (const label of result.labels) {
    if (!label.wording.ok) continue;
    evidence.push({
      kind: where === 'image' ? 'explicit-image-label' : 'explicit-video-label',
      detail: `"${label.text}" at ${label.position}, text height ${(label.textHeightRatio * 100).toFixed(1)}% of the shortest side`,
      where,
    });
    if (label.textHeightRatio < MIN_TEXT_HEIGHT_RATIO) {
      findings.push(
        finding(
          'gb45438/5.2e-text-height',
          'warning',
          `visible label "${label.text}" is ${(label.textHeightRatio * 100).toFixed(1)}% of the shortest side; GB 45438 §5.2 e) asks for at least 5%`,
          where,
        ),
      );
    }
  }
}

/**
 * Frames from the first 3 s, the middle and the end (GB 45438 §5.4: the label is on
 * the start frames, optionally at the end and middle), as PNG bytes.
 */
async function sampleFrames(path: string): Promise<{ seconds: number; png: Uint8Array }[]> {
  const { ffmpeg, ffprobe } = defaultBinaries();
  const probe = await run(ffprobe, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path]);
  const duration = Number.parseFloat(new TextDecoder().decode(probe)) || 0;
  const times = [
    ...new Set([0.5, 1.5, 2.5, duration / 2, duration - 1].filter((t) => t >= 0 && t < duration).map((t) => Math.round(t * 10) / 10)),
  ];
  const frames: { seconds: number; png: Uint8Array }[] = [];
  for (const seconds of times) {
    const png = await run(ffmpeg, [
      '-v',
      'error',
      '-ss',
      String(seconds),
      '-i',
      path,
      '-frames:v',
      '1',
      '-f',
      'image2pipe',
      '-c:v',
      'png',
      '-',
    ]);
    if (png.length > 0) frames.push({ seconds, png });
  }
  return frames;
}

function run(binary: string, args: readonly string[]): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(new Uint8Array(Buffer.concat(out))) : reject(new Error(err.trim().split('\n').pop() ?? `exit ${code}`)),
    );
  });
}

const EXPLICIT_KINDS = new Set([
  'explicit-text-label',
  'explicit-image-label',
  'explicit-video-label',
  'audio-rhythm-label',
  'audio-voice-label',
]);

/**
 * Adds explicit-label evidence and findings to a report, and notes content a
 * generation service labeled as AI-generated (Label 1) whose explicit label
 * could not be found (Measures Art. 4; Art. 9 allows exceptions, so a warning).
 */
export function mergeExplicit<
  R extends {
    readonly label: { readonly Label: string } | null;
    readonly evidence: readonly Evidence[];
    readonly findings: readonly Finding[];
  },
>(report: R, detection: ExplicitDetection): R {
  const evidence = [...report.evidence, ...detection.evidence];
  const findings = [...report.findings, ...detection.findings];
  if (detection.checked && report.label?.Label === '1' && !evidence.some((e) => EXPLICIT_KINDS.has(e.kind))) {
    findings.push(
      finding(
        'gb45438/explicit-missing',
        'warning',
        'the metadata label says AI-generated, but no explicit label was found (Measures Art. 4)',
      ),
    );
  }
  return { ...report, evidence, findings };
}

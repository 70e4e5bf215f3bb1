/**
 * Visible labels read back by OCR: runs the passes (ocr-passes.ts) on the shared Tesseract
 * workers (ocr-engine.ts), keeps the rows that pass the wording rule, and measures their ink
 * height (ink-height.ts) for GB 45438 §5.2 e).
 */
import {
  AigcLabelError,
  checkWording,
  type Finding,
  finding,
  MalformedInputError,
  normaliseLabelText,
  type WordingCheck,
} from '@aigc-label/core';
import type { PSM } from 'tesseract.js';
import { imageError } from './apply.js';
import { measuredInkHeight } from './ink-height.js';
import { type Engine, inTurn, ocrEngines, PSM_SINGLE_LINE, recognizeRows, setPsm, type TextRow } from './ocr-engine.js';
import { type Crop, cropArea, keyedTextPossible, makePlane, type Plane, type PlaneKind, planePng, planPasses } from './ocr-passes.js';
import { DEFAULT_PIXEL_LIMIT, type LabelPosition, MIN_TEXT_HEIGHT_RATIO } from './options.js';
import { sharp } from './sharp.js';

/** Where a visible label was read, in displayed orientation. */
export type DetectedPosition = LabelPosition | 'center';

export interface DetectedLabel {
  /** Text as OCR read it. */
  readonly text: string;
  /** The wording check on the normalised text (full/half width, spaces, `Al`→AI, 人工智慧). */
  readonly wording: WordingCheck;
  readonly position: DetectedPosition;
  /** Bounding box of the text line in displayed pixels. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Text line height ÷ shortest displayed side; GB 45438 §5.2 e) asks for ≥ 0.05. */
  readonly textHeightRatio: number;
  /** Tesseract's line confidence, 0-100. */
  readonly confidence: number;
}

export interface VisibleLabelDetection {
  readonly labels: readonly DetectedLabel[];
  readonly findings: readonly Finding[];
  /**
   * Lines read with part of the wording but not all of it (即梦AI, 可灵AI 3.0): not labels by the
   * element rule, but possibly a vendor's mark, which the facade judges with the text package's
   * label grammar. Undefined when OCR could not run.
   */
  readonly marks?: readonly { readonly text: string; readonly position: DetectedPosition }[];
}

export interface DetectVisibleLabelsOptions {
  /**
   * When the edge and corner parts show no label, also read each strip whole and then the
   * whole image, for labels placed away from the edges. Off by default: GB 45438 §5.2 c) puts
   * the label at an edge or corner, and on the bench these passes found no label the parts
   * missed, while costing a quarter of the time on an unlabeled picture.
   */
  readonly wholeImage?: boolean;
  /** Input pixel limit, passed to sharp. Default sharp's 268402689. */
  readonly limitInputPixels?: number;
}

/** Rule id of an OCR engine failure: detection could not run, which is not the same as "no label". */
export const OCR_FAILED_RULE = 'ocr/failed' as const;

// Lines Tesseract is less sure of than this are noise, not labels.
const MIN_LINE_CONFIDENCE = 40;
// OCR scale: 5-10% of a 720 px side is 36-72 px text, where Tesseract's layout analysis and LSTM
// read best (at 1080 px, labels of 8-10% were missed far more often, and each crop took twice as
// long); smaller images are enlarged (up to 4×) so their labels reach the same size.
const OCR_SHORT_SIDE = 720;
const MAX_UPSCALE = 4;
// Partial-wording lines kept as possible marks, per image: a vendor draws one or two.
const MAXIMUM_MARKS = 16;
// A row holding part of the wording is worth a second, single-line reading.
const PARTIAL_ELEMENT = /AI|人工|智能|生|合|成/;

function positionOf(cx: number, cy: number, width: number, height: number): DetectedPosition {
  const column = cx < width / 3 ? 'left' : cx > (2 * width) / 3 ? 'right' : 'center';
  const row = cy < height / 3 ? 'top' : cy > (2 * height) / 3 ? 'bottom' : 'middle';
  if (row === 'middle') return column === 'center' ? 'center' : `middle-${column}`;
  return `${row}-${column}`;
}

/**
 * Looks for visible labels with offline OCR (Measures Art. 6(3): a platform must look for traces
 * when there is no metadata label): overlapping parts of the top, middle and bottom strips first,
 * read as they are, then inverted (light text on a dark ground), then colour-keyed (white or black
 * text over a busy picture), then the whole image. A label is a text row that passes the
 * GB 45438 §5.2 b) wording rule after OCR normalisation. OCR engine failures become an
 * `ocr/failed` finding; they never throw or crash the process. Calls share one worker thread,
 * which keeps the process alive: call `dispose` (ocr-engine.ts) when done.
 */
export async function detectVisibleLabels(bytes: Uint8Array, options: DetectVisibleLabelsOptions = {}): Promise<VisibleLabelDetection> {
  const limitInputPixels = options.limitInputPixels ?? DEFAULT_PIXEL_LIMIT;
  try {
    // First frame, turned to its displayed orientation.
    const { data, info } = await sharp(bytes, { limitInputPixels })
      .rotate()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 && info.channels !== 4) throw new MalformedInputError('image', `unexpected ${info.channels} channels`);
    const scale = Math.min(MAX_UPSCALE, OCR_SHORT_SIDE / Math.min(info.width, info.height));
    const width = Math.max(1, Math.round(info.width * scale));
    const height = Math.max(1, Math.round(info.height * scale));
    const scaled = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
      .resize(width, height, { kernel: 'lanczos3' })
      .flatten({ background: '#ffffff' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return await inTurn(() =>
      readLabels(scaled.data, width, height, scale, Math.min(info.width, info.height), options.wholeImage ?? false),
    );
  } catch (error) {
    if (error instanceof AigcLabelError) throw error;
    throw imageError(error, 'image');
  }
}

/**
 * The wording rule on OCR text, tolerant of one misread glyph in 人工智能 (a thin or broken stroke
 * reads 智 as 命 or 工 as 丁): three of its four glyphs in place stand for the AI element. The
 * generation element (生成/合成) must still be read exactly, so unrelated captions with 人工智能
 * alone do not pass.
 */
export function ocrWording(text: string): WordingCheck {
  const exact = checkWording(text, { ocr: true });
  if (exact.ok || exact.aiElement !== null || exact.generationElement === null) return exact;
  const repaired = normaliseLabelText(text, { ocr: true }).replace(
    /人工[^人工智能]能|人工智[^人工智能生合成]|人[^人工智能]智能|[^人工智能]工智能/,
    '人工智能',
  );
  const tolerant = checkWording(repaired);
  return tolerant.ok ? tolerant : exact;
}

/** OCR of a row's neighbourhood (2 heights wider each side) as one text line; undefined when it reads nothing better. */
async function rereadLine(engine: Engine, plane: Plane, row: TextRow): Promise<TextRow | undefined> {
  const { width, height } = plane;
  const h = row.y1 - row.y0;
  const left = Math.max(0, Math.floor(row.x0 - 2 * h));
  const top = Math.max(0, Math.floor(row.y0 - 0.4 * h));
  const right = Math.min(width, Math.ceil(row.x1 + 2 * h));
  const bottom = Math.min(height, Math.ceil(row.y1 + 0.4 * h));
  const png = await planePng(plane, { left, top, width: right - left, height: bottom - top });
  await setPsm(engine, PSM_SINGLE_LINE);
  const [line] = (await recognizeRows(engine, png)).sort((a, b) => b.text.length - a.text.length);
  if (line === undefined || line.confidence < MIN_LINE_CONFIDENCE) return undefined;
  return { ...line, x0: line.x0 + left, x1: line.x1 + left, y0: line.y0 + top, y1: line.y1 + top };
}

/** Intersection of two boxes as a share of the smaller one. */
function overlapShare(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / Math.min(a.width * a.height, b.width * b.height);
}

interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

async function readLabels(
  pixels: Uint8Array,
  width: number,
  height: number,
  scale: number,
  shortest: number,
  wholeImage: boolean,
): Promise<VisibleLabelDetection> {
  let pool: Engine[];
  try {
    pool = await ocrEngines();
  } catch (error) {
    return { labels: [], findings: [finding(OCR_FAILED_RULE, 'error', `visible labels not checked: ${String(error)}`)] };
  }
  const passes = planPasses(wholeImage);
  const labels: DetectedLabel[] = [];
  const findings: Finding[] = [];
  const marks = new Map<string, { text: string; position: DetectedPosition }>();
  const planes = new Map<PlaneKind, Plane>();
  let engineFailed = false;
  /** Reads one crop of a pass's plane and adds the labels found in it. */
  const readCrop = async (engine: Engine, psm: PSM, planeKind: PlaneKind, plane: Plane, crop: Crop): Promise<void> => {
    const area = cropArea(crop, width, height);
    if (plane.channels === 1 && planeKind !== 'inverted' && !keyedTextPossible(plane, area)) return;
    try {
      await setPsm(engine, psm);
    } catch (error) {
      findings.push(finding(OCR_FAILED_RULE, 'error', `OCR engine: ${String(error)}`));
      engineFailed = true;
      return;
    }
    const png = await planePng(plane, area);
    let rows: TextRow[];
    try {
      rows = await recognizeRows(engine, png);
    } catch (error) {
      findings.push(finding(OCR_FAILED_RULE, 'error', `OCR failed on part of the image: ${String(error)}`));
      return;
    }
    for (const found of rows) {
      if (found.confidence < MIN_LINE_CONFIDENCE) continue;
      let row: TextRow = {
        ...found,
        x0: found.x0 + area.left,
        x1: found.x1 + area.left,
        y0: found.y0 + area.top,
        y1: found.y1 + area.top,
      };
      let wording = ocrWording(row.text);
      if (!wording.ok && PARTIAL_ELEMENT.test(wording.normalised)) {
        // Sparse-text segmentation drops glyphs at the ends of a line ("AI生" for "AI生成"): read the
        // line again, widened, as a single text line.
        const reread = await rereadLine(engine, plane, row).catch((error: unknown) => {
          findings.push(finding(OCR_FAILED_RULE, 'error', `OCR failed on a text line: ${String(error)}`));
          return undefined;
        });
        if (reread !== undefined) {
          row = reread;
          wording = ocrWording(row.text);
        }
      }
      if (!wording.ok) {
        if ((wording.aiElement !== null || wording.generationElement !== null) && marks.size < MAXIMUM_MARKS) {
          const x = (row.x0 + row.x1) / 2 / scale;
          const y = (row.y0 + row.y1) / 2 / scale;
          marks.set(wording.normalised, { text: row.text.trim(), position: positionOf(x, y, width / scale, height / scale) });
        }
        continue;
      }
      const box = row;
      const [x, y, w] = [box.x0 / scale, box.y0 / scale, (box.x1 - box.x0) / scale];
      const h = measuredInkHeight(pixels, width, box) / scale;
      const label: DetectedLabel = {
        text: row.text,
        wording,
        position: positionOf(x + w / 2, y + h / 2, width / scale, height / scale),
        x,
        y,
        width: w,
        height: h,
        textHeightRatio: h / shortest,
        confidence: row.confidence,
      };
      // Overlapping crops read the same label more than once: keep the widest (most complete) reading.
      const same = labels.findIndex((l) => overlapShare(l, label) > 0.5);
      if (same < 0) labels.push(label);
      else if (label.width > labels[same].width) labels[same] = label;
    }
  };
  for (const pass of passes) {
    if (labels.length > 0 || engineFailed) break;
    let plane = planes.get(pass.plane);
    if (plane === undefined) {
      plane = await makePlane(pass.plane, pixels, width, height);
      planes.set(pass.plane, plane);
    }
    // The workers take the pass's crops in turn.
    const crops = [...pass.crops];
    const current = plane;
    await Promise.all(
      pool.map(async (engine) => {
        for (let crop = crops.shift(); crop !== undefined && !engineFailed; crop = crops.shift()) {
          await readCrop(engine, pass.psm, pass.plane, current, crop);
        }
      }),
    );
  }
  for (const label of labels) {
    if (label.textHeightRatio >= MIN_TEXT_HEIGHT_RATIO) continue;
    findings.push(
      finding(
        'gb45438/5.2e-text-height',
        'warning',
        `visible label "${label.wording.normalised}" is ${(100 * label.textHeightRatio).toFixed(1)}% of the shortest side; GB 45438 §5.2 e) requires ≥ 5%`,
        label.position,
      ),
    );
  }
  return { labels, findings, marks: [...marks.values()] };
}

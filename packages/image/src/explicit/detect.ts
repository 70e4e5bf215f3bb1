import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import {
  AigcLabelError,
  checkWording,
  type Finding,
  finding,
  MalformedInputError,
  normaliseLabelText,
  type WordingCheck,
} from '@aigc-label/core';
import type { Line, PSM, Worker } from 'tesseract.js';
import { imageError } from './apply.js';
import { colourKey, invertedLuma } from './ocr-preprocess.js';
import { DEFAULT_PIXEL_LIMIT, type LabelPosition, MIN_TEXT_HEIGHT_RATIO } from './options.js';
import { sharp } from './sharp.js';

const require = createRequire(import.meta.url);

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
// Edge and corner crops, as fractions of the displayed frame (GB 45438 §5.2 c)): strips along the
// top edge, the middle (left and right edge midpoints) and the bottom edge, each read in three
// overlapping parts of 60% of the width (a corner label on a tall, narrow picture may take more than
// half the width). On a busy picture Tesseract's layout analysis finds a label far more often
// when the label fills a larger part of what it is given.
const STRIPS: readonly [number, number][] = [
  [0, 0.3],
  [0.35, 0.65],
  [0.7, 1],
];
const HALVES: readonly [number, number][] = [
  [0, 0.6],
  [0.4, 1],
  [0.2, 0.8],
];

// Tesseract page segmentation modes (tesseract.js PSM.SPARSE_TEXT, PSM.AUTO): sparse text suits short
// isolated labels on half-strips; automatic layout reads a full strip when the halves fail.
const PSM_SPARSE = '11' as PSM;
const PSM_AUTO = '3' as PSM;
const PSM_SINGLE_LINE = '7' as PSM;
// A uniform block of text: reads the colour-keyed planes, where sparse-text segmentation loses
// thin strokes broken by the keying.
const PSM_BLOCK = '6' as PSM;
// A row holding part of the wording is worth a second, single-line reading.
const PARTIAL_ELEMENT = /AI|人工|智能|生|合|成/;

interface Crop {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

/** A Tesseract worker and the page segmentation mode it is set to. */
interface Engine {
  readonly worker: Worker;
  psm: PSM | undefined;
}

// Two workers read crops side by side: OCR is most of a detection's time and each worker is one
// thread. More would only oversubscribe the cores batch threads already share.
const OCR_WORKERS = Math.min(2, availableParallelism());
let engines: Promise<Engine[]> | undefined;
// Detections share the workers and set their page segmentation modes per crop, so they take turns.
let queue: Promise<unknown> = Promise.resolve();

/**
 * A Tesseract worker with the chi_sim data from npm: it never fetches anything.
 * Tesseract.js throws an uncaught error from its worker when loading fails, unless an
 * `errorHandler` is given (and then the creation promise never settles), so the handler rejects
 * the creation instead.
 */
function createOcrWorker(): Promise<Worker> {
  return new Promise<Worker>((resolve, reject) => {
    const tesseract = require('tesseract.js') as typeof import('tesseract.js');
    const data = require('@tesseract.js-data/chi_sim') as { langPath: string };
    // Fails here, before a worker thread exists, when the data package is missing.
    require.resolve('@tesseract.js-data/chi_sim/4.0.0/chi_sim.traineddata.gz');
    tesseract
      .createWorker('chi_sim', tesseract.OEM.LSTM_ONLY, {
        langPath: data.langPath,
        gzip: true,
        cacheMethod: 'none',
        errorHandler: (error: unknown) => reject(new Error(`OCR engine: ${String(error)}`)),
      })
      // The strips are PNGs without a resolution; a nominal 300 dpi keeps Tesseract from guessing.
      .then(async (created) => {
        await created.setParameters({ user_defined_dpi: '300' });
        return created;
      })
      .then(resolve, reject);
  });
}

/** The process's OCR workers, started on first use. */
function ocrEngines(): Promise<Engine[]> {
  engines ??= Promise.all(Array.from({ length: OCR_WORKERS }, createOcrWorker))
    .then((workers) => workers.map((worker) => ({ worker, psm: undefined })))
    .catch((error: unknown) => {
      engines = undefined;
      throw error;
    });
  return engines;
}

async function setPsm(engine: Engine, psm: PSM): Promise<void> {
  if (engine.psm === psm) return;
  await engine.worker.setParameters({ tessedit_pageseg_mode: psm });
  engine.psm = psm;
}

/** Stops the shared OCR workers; the next detection starts new ones. */
export async function dispose(): Promise<void> {
  const current = engines;
  engines = undefined;
  if (current === undefined) return;
  try {
    await Promise.all((await current).map((engine) => engine.worker.terminate()));
  } catch {
    // Workers that never started have nothing to stop.
  }
}

function positionOf(cx: number, cy: number, width: number, height: number): DetectedPosition {
  const column = cx < width / 3 ? 'left' : cx > (2 * width) / 3 ? 'right' : 'center';
  const row = cy < height / 3 ? 'top' : cy > (2 * height) / 3 ? 'bottom' : 'middle';
  if (row === 'middle') return column === 'center' ? 'center' : `middle-${column}`;
  return `${row}-${column}`;
}

interface TextRow {
  readonly text: string;
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
  readonly confidence: number;
}

/**
 * Tesseract lines joined into rows: sparse-text segmentation may split one label into pieces
 * ("人" + "工智能生成"); pieces of about the same height on the same band, less than 1.5 heights apart, belong together.
 */
function textRows(blocks: readonly { paragraphs: readonly { lines: readonly Line[] }[] }[] | null): TextRow[] {
  const lines = (blocks ?? [])
    .flatMap((block) => block.paragraphs.flatMap((paragraph) => paragraph.lines))
    .map((line) => ({ text: line.text.trim(), ...line.bbox, confidence: line.confidence }))
    .sort((a, b) => a.x0 - b.x0);
  const rows: TextRow[] = [];
  for (const line of lines) {
    const height = line.y1 - line.y0;
    const centre = (line.y0 + line.y1) / 2;
    const index = rows.findIndex(
      (row) =>
        Math.abs((row.y0 + row.y1) / 2 - centre) < height / 2 &&
        Math.abs(row.y1 - row.y0 - height) < 0.35 * height &&
        line.x0 - row.x1 < 1.5 * height &&
        line.x0 >= row.x0,
    );
    if (index < 0) {
      rows.push(line);
      continue;
    }
    const row = rows[index];
    rows[index] = {
      text: `${row.text}${line.text}`,
      x0: row.x0,
      y0: Math.min(row.y0, line.y0),
      x1: Math.max(row.x1, line.x1),
      y1: Math.max(row.y1, line.y1),
      // Weighted by length, so a stray mark read next to a label does not sink its confidence.
      confidence: (row.confidence * row.text.length + line.confidence * line.text.length) / Math.max(1, row.text.length + line.text.length),
    };
  }
  return rows;
}

/**
 * Looks for visible labels with offline OCR (Measures Art. 6(3): a platform must look for traces
 * when there is no metadata label): overlapping parts of the top, middle and bottom strips first,
 * read as they are, then inverted (light text on a dark ground), then colour-keyed (white or black
 * text over a busy picture), then the whole image. A label is a text row that passes the
 * GB 45438 §5.2 b) wording rule after OCR normalisation. OCR engine failures become an
 * `ocr/failed` finding; they never throw or crash the process. Calls share one worker thread,
 * which keeps the process alive: call {@link dispose} when done.
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
    const read = queue.then(() =>
      readLabels(scaled.data, width, height, scale, Math.min(info.width, info.height), options.wholeImage ?? false),
    );
    queue = read.catch(() => undefined);
    return await read;
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

/**
 * Ink height of a text row, px, measured on the pixels: Tesseract's line boxes may take in a
 * backing plate or stray marks. Inside the row box (less 10% at each side, where plate corners
 * are), pixels are split into two classes by Otsu's threshold; the smaller class is the text. The
 * height is the run of rows holding text pixels around the fullest row, stopping at a gap of
 * more than 2 rows (the plate's padding or the space between lines).
 */
function measuredInkHeight(pixels: Uint8Array, width: number, box: { x0: number; y0: number; x1: number; y1: number }): number {
  const inset = Math.round((box.x1 - box.x0) * 0.1);
  const [left, right] = [Math.max(0, box.x0 + inset), Math.min(width, box.x1 - inset)];
  const [top, bottom] = [Math.max(0, box.y0), Math.min(pixels.length / (3 * width), box.y1)];
  if (right - left < 2 || bottom - top < 2) return box.y1 - box.y0;
  const grey = (x: number, y: number) => {
    const i = (y * width + x) * 3;
    return (pixels[i] * 299 + pixels[i + 1] * 587 + pixels[i + 2] * 114) / 1000;
  };
  const histogram = new Array<number>(256).fill(0);
  for (let y = top; y < bottom; y++) for (let x = left; x < right; x++) histogram[Math.round(grey(x, y))]++;
  const total = (right - left) * (bottom - top);
  const threshold = otsu(histogram, total);
  const below = histogram.slice(0, threshold + 1).reduce((a, b) => a + b, 0);
  const textIsDark = below <= total - below;
  const counts: number[] = [];
  for (let y = top; y < bottom; y++) {
    let n = 0;
    for (let x = left; x < right; x++) if (grey(x, y) <= threshold === textIsDark) n++;
    counts.push(n);
  }
  const minimum = Math.max(2, (right - left) * 0.02);
  const middle = counts.slice(Math.floor(counts.length / 4), Math.ceil((3 * counts.length) / 4));
  const start = Math.floor(counts.length / 4) + middle.indexOf(Math.max(...middle));
  const extend = (step: number) => {
    let edge = start;
    for (let y = start, gap = 0; y >= 0 && y < counts.length && gap <= 2; y += step) {
      if (counts[y] >= minimum) {
        edge = y;
        gap = 0;
      } else gap++;
    }
    return edge;
  };
  return extend(1) - extend(-1) + 1;
}

/** Otsu's threshold of a grey-level histogram. */
function otsu(histogram: readonly number[], total: number): number {
  const sum = histogram.reduce((acc, n, v) => acc + n * v, 0);
  let [sumBelow, countBelow, best, threshold] = [0, 0, -1, 127];
  for (let v = 0; v < 256; v++) {
    countBelow += histogram[v];
    sumBelow += v * histogram[v];
    const countAbove = total - countBelow;
    if (countBelow === 0 || countAbove === 0) continue;
    const between = countBelow * countAbove * (sumBelow / countBelow - (sum - sumBelow) / countAbove) ** 2;
    if (between > best) [best, threshold] = [between, v];
  }
  return threshold;
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
  const [line] = textRows((await engine.worker.recognize(png, {}, { blocks: true, text: false })).data.blocks).sort(
    (a, b) => b.text.length - a.text.length,
  );
  if (line === undefined || line.confidence < MIN_LINE_CONFIDENCE) return undefined;
  return { ...line, x0: line.x0 + left, x1: line.x1 + left, y0: line.y0 + top, y1: line.y1 + top };
}

/** Pixels OCR reads: the picture itself (3 channels) or a derived grey plane (1 channel). */
interface Plane {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
}

type PlaneKind = 'colour' | 'inverted' | 'white' | 'black';

interface Area {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

const planePng = (plane: Plane, area: Area) =>
  sharp(plane.data, { raw: { width: plane.width, height: plane.height, channels: plane.channels } })
    .extract(area)
    .png({ compressionLevel: 1 })
    .toBuffer();

// A colour-keyed crop with less ink than a few small glyphs holds no label, and one that is mostly
// ink is a white sky or a black night, not text: neither is worth an OCR call (a busy picture
// without a label otherwise costs seconds of them).
const MIN_KEYED_INK_PIXELS = 150;
const MAX_KEYED_INK_SHARE = 0.5;

function keyedTextPossible(plane: Plane, area: Area): boolean {
  let ink = 0;
  for (let y = area.top; y < area.top + area.height; y++) {
    const row = y * plane.width;
    for (let x = area.left; x < area.left + area.width; x++) if (plane.data[row + x] === 0) ink++;
  }
  return ink >= MIN_KEYED_INK_PIXELS && ink <= MAX_KEYED_INK_SHARE * area.width * area.height;
}

/** Builds the plane a pass reads, once per image and only when a pass needs it. */
async function makePlane(kind: PlaneKind, pixels: Uint8Array, width: number, height: number): Promise<Plane> {
  if (kind === 'colour') return { data: pixels, width, height, channels: 3 };
  if (kind === 'inverted') return { data: invertedLuma(pixels, width * height), width, height, channels: 1 };
  // Noise pixels (JPEG, sensor or synthetic) would key as specks of ink: a 3×3 median first.
  const denoised = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .median(3)
    .raw()
    .toBuffer();
  return { data: colourKey(denoised, width * height, kind), width, height, channels: 1 };
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
  const parts = STRIPS.flatMap(([top, bottom]) => HALVES.map(([left, right]) => ({ left, right, top, bottom })));
  const strips = STRIPS.map(([top, bottom]) => ({ left: 0, right: 1, top, bottom }));
  // Passes, cheapest and most telling first; later passes run only when earlier ones found nothing.
  const passes: { plane: PlaneKind; psm: PSM; crops: Crop[] }[] = [
    { plane: 'colour', psm: PSM_SPARSE, crops: parts },
    { plane: 'inverted', psm: PSM_SPARSE, crops: parts },
    { plane: 'white', psm: PSM_BLOCK, crops: parts },
    { plane: 'black', psm: PSM_BLOCK, crops: parts },
  ];
  if (wholeImage) {
    passes.push(
      { plane: 'colour', psm: PSM_AUTO, crops: strips },
      { plane: 'colour', psm: PSM_SPARSE, crops: [{ left: 0, right: 1, top: 0, bottom: 1 }] },
    );
  }
  const labels: DetectedLabel[] = [];
  const findings: Finding[] = [];
  const planes = new Map<PlaneKind, Plane>();
  let engineFailed = false;
  /** Reads one crop of a pass's plane and adds the labels found in it. */
  const readCrop = async (engine: Engine, psm: PSM, planeKind: PlaneKind, plane: Plane, crop: Crop): Promise<void> => {
    const area = {
      left: Math.floor(crop.left * width),
      top: Math.floor(crop.top * height),
      width: Math.ceil(crop.right * width) - Math.floor(crop.left * width),
      height: Math.ceil(crop.bottom * height) - Math.floor(crop.top * height),
    };
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
      rows = textRows((await engine.worker.recognize(png, {}, { blocks: true, text: false })).data.blocks);
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
      if (!wording.ok) continue;
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
  return { labels, findings };
}

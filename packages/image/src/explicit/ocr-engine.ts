/**
 * The OCR engine: a small pool of Tesseract workers with the chi_sim data from npm, shared by
 * every detection in the process, and Tesseract's lines joined into text rows.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type { ImageLike, Line, PSM, Worker } from 'tesseract.js';

const require = createRequire(import.meta.url);

// Tesseract page segmentation modes (tesseract.js PSM.SPARSE_TEXT, PSM.AUTO): sparse text suits short
// isolated labels on half-strips; automatic layout reads a full strip when the halves fail.
export const PSM_SPARSE = '11' as PSM;
export const PSM_AUTO = '3' as PSM;
export const PSM_SINGLE_LINE = '7' as PSM;
// A uniform block of text: reads the colour-keyed planes, where sparse-text segmentation loses
// thin strokes broken by the keying.
export const PSM_BLOCK = '6' as PSM;

/** A Tesseract worker and the page segmentation mode it is set to. */
export interface Engine {
  readonly worker: Worker;
  psm: PSM | undefined;
}

// Two workers read crops side by side: OCR is most of a detection's time and each worker is one
// thread. More would only oversubscribe the cores batch threads already share.
const OCR_WORKERS = Math.min(2, availableParallelism());
let engines: Promise<Engine[]> | undefined;
// Detections share the workers and set their page segmentation modes per crop, so they take turns.
let queue: Promise<unknown> = Promise.resolve();

/** Runs one detection's reading after those already queued. */
export function inTurn<T>(read: () => Promise<T>): Promise<T> {
  const turn = queue.then(read);
  queue = turn.catch(() => undefined);
  return turn;
}

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
export function ocrEngines(): Promise<Engine[]> {
  engines ??= Promise.all(Array.from({ length: OCR_WORKERS }, createOcrWorker))
    .then((workers) => workers.map((worker) => ({ worker, psm: undefined })))
    .catch((error: unknown) => {
      engines = undefined;
      throw error;
    });
  return engines;
}

export async function setPsm(engine: Engine, psm: PSM): Promise<void> {
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

export interface TextRow {
  readonly text: string;
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
  readonly confidence: number;
}

/** The text rows Tesseract reads in a PNG with the engine's current page segmentation mode. */
export async function recognizeRows(engine: Engine, png: ImageLike): Promise<TextRow[]> {
  return textRows((await engine.worker.recognize(png, {}, { blocks: true, text: false })).data.blocks);
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

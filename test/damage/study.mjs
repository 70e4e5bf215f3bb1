#!/usr/bin/env node
/**
 * The damage study (issue 25): every sample labeled with our own labelFile, then damaged the
 * ways real files are (mutants.mjs). For each mutant: does a player or viewer still accept it
 * (ffprobe for audio and video, sharp for images, pdfinfo for PDF, Python's zipfile for OOXML;
 * browsers and editors open any HTML or Markdown), do we find the label, does ExifTool?
 *
 *   node test/damage/study.mjs            print the table (after `pnpm build`)
 *   node test/damage/study.mjs --write    also write the table into README.md
 *
 * Needs ffprobe, ExifTool, pdfinfo and python3 (Debian packages, test oracles only).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { detectFile, labelFile } from '../../packages/aigc-label/dist/index.js';
import { mutantKinds, mutantsFor } from './mutants.mjs';

const run = promisify(execFile);
const here = import.meta.dirname;
const root = join(here, '..', '..');
const samplesDir = join(root, 'samples');
export const PRODUCE_ID = 'damage-0001';
const PRODUCER = '001191440300708461136T1XGW3';
const TOOLKIT_ERRORS = new Set([
  'UnknownFormatError',
  'UnsupportedFormatError',
  'MalformedInputError',
  'LimitExceededError',
  'UnsafeXmlError',
  'InvalidLabelError',
  'LabelConflictError',
  'FileError',
]);
const IMAGE = new Set(['png', 'jpeg', 'webp', 'gif', 'tiff', 'avif', 'heif']);
const TEXT = new Set(['html', 'markdown']);

/** Runs `work` over `items` with at most `limit` in flight. */
async function pool(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i], i);
      }
    }),
  );
  return results;
}

/** Whether the player or viewer of the format accepts the file. */
async function accepted(format, path) {
  if (TEXT.has(format)) return true;
  if (IMAGE.has(format)) {
    try {
      await sharp(path, { failOn: 'error' }).raw().toBuffer();
      return true;
    } catch {
      return false;
    }
  }
  if (format === 'pdf') {
    try {
      await run('pdfinfo', [path], { timeout: 20_000 });
      return true;
    } catch {
      return false;
    }
  }
  if (format === 'ooxml') return null; // batched through Python below
  try {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', path], {
      timeout: 20_000,
    });
    return stdout.trim().length > 0;
  } catch {
    return false;
  }
}

/** Python's zipfile opens each archive and reads every member. */
async function zipAccepted(paths) {
  if (paths.length === 0) return [];
  const script =
    'import json,sys,zipfile\nout=[]\nfor p in json.load(sys.stdin):\n  try:\n    z=zipfile.ZipFile(p); [z.read(n) for n in z.namelist()]; out.append(True)\n  except Exception: out.append(False)\nprint(json.dumps(out))';
  const stdout = execFileSync('python3', ['-c', script], { input: JSON.stringify(paths), encoding: 'utf8' });
  return JSON.parse(stdout);
}

/** ExifTool over every file at once: which files hold a value with the ProduceID. */
function exiftoolFinds(paths) {
  const found = new Set();
  for (let i = 0; i < paths.length; i += 200) {
    const batch = paths.slice(i, i + 200);
    let stdout = '';
    try {
      stdout = execFileSync('exiftool', ['-j', '-a', '-G1', '-charset', 'filename=utf8', ...batch], {
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch (error) {
      stdout = error.stdout ?? ''; // ExifTool exits 1 when some file has an error; the JSON is still there
    }
    for (const record of JSON.parse(stdout || '[]')) if (JSON.stringify(record).includes(PRODUCE_ID)) found.add(record.SourceFile);
  }
  return found;
}

/** What our detect says: `found`, `none`, a toolkit error's name, or `crash: …`. */
async function ours(path) {
  try {
    const report = await detectFile(path, { audible: false, ocr: false });
    return report.label?.ProduceID === PRODUCE_ID ? 'found' : 'none';
  } catch (error) {
    return TOOLKIT_ERRORS.has(error?.name) ? error.name : `crash: ${error?.name}: ${String(error?.message).slice(0, 200)}`;
  }
}

/** The study: one row per mutant. */
export async function study({ concurrency = 3 } = {}) {
  if (!existsSync(join(samplesDir, 'sample.png')))
    execFileSync(process.execPath, [join(root, 'scripts', 'make-samples.mjs')], { stdio: 'ignore' });
  const dir = await mkdtemp(join(tmpdir(), 'aigc-damage-'));
  try {
    const names = (await readdir(samplesDir)).filter((f) => f.startsWith('sample.') && !f.endsWith('.txt')).sort();
    const files = [];
    for (const name of names) {
      const report = await labelFile(join(samplesDir, name), {
        producer: PRODUCER,
        produceId: PRODUCE_ID,
        explicit: false,
        outDir: join(dir, 'labeled'),
      });
      const bytes = new Uint8Array(await readFile(report.output));
      const first = Buffer.from(bytes).indexOf(PRODUCE_ID);
      const last = Buffer.from(bytes).lastIndexOf(PRODUCE_ID);
      const ext = extname(name);
      await mkdir(join(dir, name), { recursive: true });
      const mutants = [
        { id: 'original', kind: 'original', bytes },
        ...mutantsFor(report.format, bytes, { from: first, to: last + PRODUCE_ID.length }),
      ];
      for (const mutant of mutants) {
        const path = join(dir, name, `${mutant.id}${ext}`);
        await writeFile(path, mutant.bytes);
        // A partial upload that ends before the label's last byte has no label left to find:
        // counted apart (not a miss), as no reader can find bytes that are not there.
        const cutOff = mutant.kind === 'truncation' && !Buffer.from(mutant.bytes).includes(PRODUCE_ID);
        files.push({ sample: name, format: report.format, id: mutant.id, kind: mutant.kind, path, cutOff });
      }
    }
    const acceptedList = await pool(files, concurrency, (f) => accepted(f.format, f.path));
    const zips = acceptedList.flatMap((value, i) => (value === null ? [i] : []));
    const zipResults = await zipAccepted(zips.map((i) => files[i].path));
    for (const [k, fileIndex] of zips.entries()) acceptedList[fileIndex] = zipResults[k];
    const exif = exiftoolFinds(files.map((f) => f.path));
    const rows = [];
    for (const [i, f] of files.entries()) {
      rows.push({
        sample: f.sample,
        format: f.format,
        id: f.id,
        kind: f.kind,
        accepted: acceptedList[i],
        cutOff: f.cutOff,
        ours: await ours(f.path),
        exiftool: exif.has(f.path),
      });
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Per sample: accepted mutants that still hold the label's bytes, ours and ExifTool's finds among
 * them (ExifTool only where it reads the undamaged file's label), and the accepted ones cut off
 * before the label.
 */
export function summarize(rows) {
  const samples = [...new Set(rows.map((r) => r.sample))];
  return samples.map((sample) => {
    const all = rows.filter((r) => r.sample === sample);
    const original = all.find((r) => r.id === 'original');
    const mutants = all.filter((r) => r.id !== 'original');
    const ok = mutants.filter((r) => r.accepted && !r.cutOff);
    const exifReads = original?.exiftool === true;
    return {
      sample,
      format: all[0].format,
      mutants: mutants.length,
      accepted: ok.length,
      cutOff: mutants.filter((r) => r.accepted && r.cutOff).map((r) => r.id),
      ours: ok.filter((r) => r.ours === 'found').length,
      exiftool: exifReads ? ok.filter((r) => r.exiftool).length : null,
      missed: ok.filter((r) => r.ours !== 'found').map((r) => `${r.id} (${r.ours === 'none' ? 'no label' : r.ours})`),
      exifOnly: exifReads ? ok.filter((r) => r.exiftool && r.ours !== 'found').length : 0,
    };
  });
}

export function table(rows) {
  const lines = summarize(rows);
  const total = (key) => lines.reduce((n, l) => n + (l[key] ?? 0), 0);
  const cutOff = lines.flatMap((l) => l.cutOff.map((id) => `${l.sample} ${id}`));
  const exifLines = lines.filter((l) => l.exiftool !== null);
  const exifTotal = (key) => exifLines.reduce((n, l) => n + (l[key] ?? 0), 0);
  const kinds = mutantKinds.map((kind) => {
    const ok = rows.filter((r) => r.kind === kind && r.accepted && !r.cutOff);
    return `${kind} ${ok.filter((r) => r.ours === 'found').length}/${ok.length}`;
  });
  return [
    `${total('mutants')} mutants of ${lines.length} labeled samples; players or viewers accept ${total('accepted') + cutOff.length}, of which ${cutOff.length} end before the label (${cutOff.join(', ') || 'none'}): no label left to find. We find the label in ${total('ours')} of the other ${total('accepted')}.`,
    `Where ExifTool reads the undamaged file's label (${exifLines.length} samples): ExifTool finds it in ${exifTotal('exiftool')} of ${exifTotal('accepted')} accepted mutants, we in ${exifTotal('ours')}.`,
    `By kind of damage (we find / accepted): ${kinds.join(', ')}.`,
    '',
    '| Sample | Format | Mutants | Accepted, label present | We find | ExifTool finds | Accepted, and we miss the label |',
    '| ------ | ------ | ------- | -------- | ------- | -------------- | ------------------------------- |',
    ...lines.map(
      (l) =>
        `| ${l.sample} | ${l.format} | ${l.mutants} | ${l.accepted} | ${l.ours} | ${l.exiftool ?? '—'} | ${l.missed.length ? l.missed.join(', ') : '—'} |`,
    ),
  ].join('\n');
}

if (process.argv[1] === import.meta.filename) {
  const started = Date.now();
  const rows = await study();
  const output = table(rows);
  console.log(output);
  console.log(`\n${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const r of rows.filter((r) => r.ours.startsWith('crash'))) console.log(`CRASH ${r.sample} ${r.id}: ${r.ours}`);
  if (process.argv.includes('--write')) {
    const readmePath = join(here, 'README.md');
    const readme = await readFile(readmePath, 'utf8');
    const from = readme.indexOf('<!-- study:start -->');
    const to = readme.indexOf('<!-- study:end -->');
    await writeFile(readmePath, `${readme.slice(0, from)}<!-- study:start -->\n${output}\n${readme.slice(to)}`);
  }
}

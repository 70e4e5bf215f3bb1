/**
 * What labeling does to one public sample file (README.md): detect on the original, label with
 * `explicit: false`, detect on the output, and what third-party readers see before and after
 * (ExifTool's tags, ffmpeg's packet hashes, sharp's decoded pixels). An observation holds no
 * bytes, paths or times, so the same corpus gives the same observations on every machine.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { AigcLabelError } from '@aigc-label/core';
import { defaultRegistry, detectBuffer, labelBuffer } from 'aigc-label';
import sharp from 'sharp';

const run = promisify(execFile);
export const PRODUCER = '001191440300708461136T1XGW3';
export const PRODUCE_ID = 'public-corpus-0001';

const imageFormats = new Set(['png', 'jpeg', 'webp', 'gif', 'tiff', 'heif', 'avif']);
const streamFormats = new Set(['wav', 'ogg', 'mp3', 'flac', 'm4a', 'mp4', 'matroska', 'avi', 'flv']);

/**
 * ExifTool tags that may differ after labeling, each for a reason that is not a loss: the file
 * system's (System group) and ExifTool's own version; lengths and absolute offsets that grow
 * with the metadata we add (ID3 size, the offset of an ISO BMFF mdat, FLV onMetaData filesize and
 * keyframe positions, MPF image offsets), and bit rates ExifTool works out from the file size; the first ZIP entry ExifTool describes, [Content_Types].xml, which must list our
 * custom properties part; a PDF incremental update ends linearization; a WebP that gains XMP
 * becomes Extended (VP8X) with the XMP flag; Markdown's line and word counts grow by our label;
 * Vorbis durations ExifTool estimates from the file size.
 */
const layoutTags = new Set([
  'ExifTool:ExifToolVersion',
  'QuickTime:MediaDataOffset',
  'Composite:AvgBitrate',
  'File:ID3Size',
  'Flash:FileSizeBytes',
  'Flash:KeyFramePositions',
  'ZIP:ZipBitFlag',
  'ZIP:ZipCRC',
  'ZIP:ZipCompressedSize',
  'ZIP:ZipCompression',
  'ZIP:ZipUncompressedSize',
  'PDF:Linearized',
  'File:FileType',
  'RIFF:WebP_Flags',
  'File:LineCount',
  'File:WordCount',
  'Composite:Duration',
]);
const isLayoutTag = (tag: string) => tag.startsWith('System:') || layoutTags.has(tag) || /^MPImage\d+:MPImageStart$/.test(tag);

export interface Observation {
  readonly file: string;
  /** The format our registry chose, or null when none claims the file. */
  readonly format: string | null;
  /** `ok`, or the toolkit error's class name; `crash:<name>` for anything else. */
  readonly detect: string;
  /** `labeled`, or the toolkit error class and message that refused it; `crash:<name>` for anything else. */
  readonly label: string;
  /** Labeled outputs only: the carriers our detect reads back, and whether the label that counts is ours. */
  readonly readBack?: { readonly carriers: number; readonly ours: boolean };
  /** Labeled outputs only: ExifTool tags lost or changed (layout tags excepted), new ExifTool warnings, and whether ExifTool shows our label. */
  readonly exiftool?: { readonly lost: string[]; readonly changed: string[]; readonly warnings: string[]; readonly seesLabel: boolean };
  /** Audio and video: container and stream tags ffprobe lost or changed, and whether it shows our label under the name AIGC. */
  readonly ffprobe?: { readonly lost: string[]; readonly changed: string[]; readonly seesLabel: boolean };
  /** Audio and video: `same` packets (ffmpeg framemd5), `changed`, or `unreadable` (ffmpeg cannot read the original). */
  readonly packets?: string;
  /** Images: `same` decoded pixels (sharp), `changed`, or `undecodable` (sharp cannot decode the original). */
  readonly pixels?: string;
}

/**
 * What is wrong in an observation: the promises labeling must keep (empty when all are kept).
 * `valid` marks a well-formed file that other readers accept, so refusing it is wrong too.
 */
export function broken(o: Observation, valid = false): string[] {
  const problems: string[] = [];
  if (valid && o.label !== 'labeled') problems.push(`refused a valid file: ${o.label}`);
  if (o.detect.startsWith('crash')) problems.push(`detect ${o.detect}`);
  if (o.label.startsWith('crash')) problems.push(`label ${o.label}`);
  if (o.readBack && (o.readBack.carriers !== 1 || !o.readBack.ours)) problems.push(`read back ${JSON.stringify(o.readBack)}`);
  if (o.exiftool?.lost.length) problems.push(`ExifTool lost ${o.exiftool.lost.join(', ')}`);
  if (o.exiftool?.changed.length) problems.push(`ExifTool changed ${o.exiftool.changed.join(', ')}`);
  if (o.exiftool?.warnings.length) problems.push(`ExifTool now says ${o.exiftool.warnings.join('; ')}`);
  if (o.ffprobe?.lost.length) problems.push(`ffprobe lost ${o.ffprobe.lost.join(', ')}`);
  if (o.ffprobe?.changed.length) problems.push(`ffprobe changed ${o.ffprobe.changed.join(', ')}`);
  if (o.packets === 'changed') problems.push('packets changed');
  if (o.pixels === 'changed') problems.push('pixels changed');
  return problems;
}

/** `ok` / `labeled` or the error's class; a plain Error or a multi-line message is a crash. */
function outcomeOf(error: unknown, withMessage: boolean): string {
  if (error instanceof AigcLabelError && !error.message.includes('\n')) return withMessage ? `${error.name}: ${error.message}` : error.name;
  return `crash:${(error as Error)?.name ?? typeof error}: ${String((error as Error)?.message ?? error).split('\n')[0]}`;
}

/** Labels `bytes` and records what our own reader says; the output is written to `outPath`. */
export async function labelAndRead(
  file: string,
  bytes: Uint8Array,
  outPath: string,
): Promise<{ observation: Omit<Observation, 'exiftool' | 'packets' | 'pixels'>; output: Uint8Array | null }> {
  const filename = file.split('/').pop() ?? file;
  let format: string | null = null;
  let detect = 'ok';
  try {
    format = (await detectBuffer(bytes, { filename, audible: false })).format;
  } catch (error) {
    detect = outcomeOf(error, false);
  }
  if (format === null) {
    try {
      format = defaultRegistry.resolve(bytes.subarray(0, 4096), filename).handler.id;
    } catch {
      // no format claims the file: detect's error above says so
    }
  }
  let output: Uint8Array | null = null;
  let label = 'labeled';
  try {
    output = (await labelBuffer(bytes, { producer: PRODUCER, produceId: PRODUCE_ID, filename, explicit: false })).bytes;
  } catch (error) {
    label = outcomeOf(error, true);
  }
  if (!output) return { observation: { file, format, detect, label }, output };
  await mkdir(dirname(outPath), { recursive: true });
  await writeFile(outPath, output);
  let readBack: { carriers: number; ours: boolean };
  try {
    // the carriers are all the read-back needs: no evidence readers (C2PA, vendor marks) this time
    const report = await detectBuffer(output, { filename, audible: false, evidenceReaders: [] });
    readBack = { carriers: report.carriers.length, ours: report.label?.ProduceID === PRODUCE_ID };
  } catch (error) {
    return { observation: { file, format, detect, label: `labeled, then detect ${outcomeOf(error, false)}` }, output };
  }
  return { observation: { file, format, detect, label, readBack }, output };
}

export const isImage = (format: string | null) => format !== null && imageFormats.has(format);
export const isStream = (format: string | null) => format !== null && streamFormats.has(format);

type Tags = Record<string, unknown>;

/** ExifTool's tags (`-a -G1:4 -j`: every duplicate under its own Copy key) for many files in one run, by path. */
export async function exiftoolTags(paths: readonly string[], argsFile: string): Promise<Map<string, Tags>> {
  await writeFile(argsFile, `${paths.join('\n')}\n`);
  const { stdout } = await run('exiftool', ['-a', '-G1:4', '-j', '-charset', 'filename=utf8', '-@', argsFile], {
    maxBuffer: 256 * 1024 * 1024,
  }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '[]' })); // exit 1 when one file has an error; the JSON is still complete
  const rows = JSON.parse(stdout || '[]') as Tags[];
  return new Map(rows.map((row) => [String(row.SourceFile), row]));
}

/** Each tag (group:name, the Copy number dropped: our tags may come first) with all its values. */
function valuesByTag(tags: Tags): Map<string, string[]> {
  const byTag = new Map<string, string[]>();
  for (const [key, value] of Object.entries(tags)) {
    if (key === 'SourceFile') continue;
    const tag = key.replace(/:Copy\d+:/, ':');
    byTag.set(tag, [...(byTag.get(tag) ?? []), JSON.stringify(value)]);
  }
  return byTag;
}

/**
 * Tags before and after: a tag is lost when none of its values is left, changed when a value of
 * it is gone; ExifTool warnings and errors that are new; whether ExifTool shows the label.
 */
export function compareTags(before: Tags, after: Tags): NonNullable<Observation['exiftool']> {
  const was = valuesByTag(before);
  const now = valuesByTag(after);
  const lost: string[] = [];
  const changed: string[] = [];
  for (const [tag, values] of was) {
    if (isLayoutTag(tag) || tag === 'ExifTool:Warning' || tag === 'ExifTool:Error') continue;
    const left = [...(now.get(tag) ?? [])];
    if (left.length === 0) {
      lost.push(tag);
      continue;
    }
    let gone = false;
    for (const value of values) {
      const at = left.indexOf(value);
      if (at < 0) gone = true;
      else left.splice(at, 1);
    }
    if (gone) changed.push(tag);
  }
  const warnings = ['ExifTool:Warning', 'ExifTool:Error'].flatMap((tag) =>
    (now.get(tag) ?? []).filter((v) => !(was.get(tag) ?? []).includes(v)).map((v) => `${tag.slice(9)}: ${JSON.parse(v)}`),
  );
  // Our ProduceID in any value, or a new tag named AIGC (a key whose value ExifTool only summarises).
  const seesLabel = Object.entries(after).some(
    ([tag, value]) => JSON.stringify(value).includes(PRODUCE_ID) || (!(tag in before) && tag.toLowerCase().includes('aigc')),
  );
  return { lost: lost.sort(), changed: changed.sort(), warnings, seesLabel };
}

/** ffprobe's container tags (`format:key`) and stream tags (`stream<i>:key`), or null when it cannot read the file. */
async function ffprobeTags(path: string): Promise<Map<string, string> | null> {
  try {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format_tags:stream_tags', '-of', 'json', path], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 60_000,
    });
    const probe = JSON.parse(stdout) as { format?: { tags?: Tags }; streams?: { tags?: Tags }[] };
    const tags = new Map<string, string>();
    for (const [key, value] of Object.entries(probe.format?.tags ?? {})) tags.set(`format:${key}`, String(value));
    for (const [i, stream] of (probe.streams ?? []).entries())
      for (const [key, value] of Object.entries(stream.tags ?? {})) tags.set(`stream${i}:${key}`, String(value));
    return tags;
  } catch {
    return null;
  }
}

/** What ffprobe saw before and no longer sees, or sees with another value; null when it cannot read the original. */
export async function compareProbe(original: string, labeled: string): Promise<Observation['ffprobe'] | null> {
  const before = await ffprobeTags(original);
  if (before === null) return null;
  const after = (await ffprobeTags(labeled)) ?? new Map<string, string>();
  const lost = [...before.keys()].filter((key) => !after.has(key)).sort();
  const changed = [...before.keys()].filter((key) => after.has(key) && after.get(key) !== before.get(key)).sort();
  const seesLabel = [...after].some(([key, value]) => /:aigc$/i.test(key) && value.includes(PRODUCE_ID));
  return { lost, changed, seesLabel };
}

/** ffmpeg's packet list (stream, timestamps, size, MD5 of the data) with `-c copy`, or null when ffmpeg cannot read the file. */
async function packetHashes(path: string): Promise<string | null> {
  try {
    const { stdout } = await run('ffmpeg', ['-nostdin', '-v', 'error', '-i', path, '-map', '0', '-c', 'copy', '-f', 'framemd5', '-'], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 60_000,
    });
    // stream, dts, pts, duration, size, MD5 of the packet data; side data (S=…) is not the content
    const packets = stdout
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => line.split(',').slice(0, 6).join(','));
    return packets.length > 0 ? packets.join('\n') : null;
  } catch {
    return null;
  }
}

export async function comparePackets(original: string, labeled: string): Promise<string> {
  const before = await packetHashes(original);
  if (before === null) return 'unreadable';
  return (await packetHashes(labeled)) === before ? 'same' : 'changed';
}

/** Every frame or page decoded to raw pixels, hashed; null when sharp cannot decode the file. */
async function pixelHash(bytes: Uint8Array): Promise<string | null> {
  try {
    const { data, info } = await sharp(bytes, { pages: -1, failOn: 'none' }).raw().toBuffer({ resolveWithObject: true });
    return `${info.width}x${info.height}x${info.channels} ${createHash('sha256').update(data).digest('hex')}`;
  } catch {
    return null;
  }
}

export async function comparePixels(original: Uint8Array, labeled: Uint8Array): Promise<string> {
  const before = await pixelHash(original);
  if (before === null) return 'undecodable';
  return (await pixelHash(labeled)) === before ? 'same' : 'changed';
}

export const readBytes = async (path: string) => new Uint8Array(await readFile(path));
export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
export const outputPath = (dir: string, file: string) => join(dir, file);

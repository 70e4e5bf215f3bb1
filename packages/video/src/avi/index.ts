import {
  type AigcLabel,
  type ByteSource,
  concat,
  decodeLabel,
  encodeLabel,
  type Finding,
  type FormatHandler,
  finding,
  fromAscii,
  fromUtf8,
  type LabelCarrier,
  LimitExceededError,
  MalformedInputError,
  printableAscii,
  putU32le,
  type ReadResult,
  Rules,
  readExact,
  riff,
  splicePlan,
  UnsupportedFormatError,
  utf8,
  type WriteOptions,
  type WriteResult,
} from '@aigc-label/core';
import { type VideoLabelTools, visibleVideoLabel } from '../explicit/capability.js';
import { videoWatermark } from '../watermark/capability.js';

/** Findings only this format emits, with their meaning (the README's rule table is generated from these). */
export const aviRules = {
  'avi/opendml': 'an OpenDML file (RIFF AVIX extensions) (info)',
} as const;

const INFO_ID = 'AIGC';
const maximumInfoInBytes = 16 * 1024 * 1024;

interface Layout {
  /** End of the first RIFF ('AVI ') chunk. */
  readonly riffEnd: number;
  /** Where the last whole chunk of the first RIFF ends: bytes after it (fewer than a chunk header) are not a chunk. */
  readonly chunksEnd: number;
  readonly chunks: riff.RiffChunk[];
  /** Absent only in a damaged file read for salvage. */
  readonly movi?: riff.RiffChunk;
  /** OpenDML: more RIFF 'AVIX' chunks follow the first (OpenDML AVI File Format Extensions §2). */
  readonly extended: boolean;
}

/**
 * The first RIFF's chunks and `movi`. With `damage` (salvage reading, issue 25 item 2) a RIFF
 * size past the end of the file or an odd one, chunks cut short and a missing `movi` are
 * noted there, and what the file holds is read.
 */
async function readLayout(source: ByteSource, damage?: string[]): Promise<Layout> {
  const head = await readExact(source, 0, Math.min(12, source.size), 'avi', 'RIFF header');
  const header = riff.parseRiffHeader(head, 'avi');
  if (header.magic !== 'RIFF' || header.form !== 'AVI ')
    throw new MalformedInputError('avi', `not an AVI file (${printableAscii(header.magic)} ${printableAscii(header.form)})`);
  const problem = (message: string) => {
    if (!damage) throw new MalformedInputError('avi', message);
    damage.push(message);
  };
  let riffEnd = 8 + header.declaredSize;
  if (header.declaredSize < 4) {
    // 0 is what a writer that could not go back leaves (as in streamed WAV); the chunks run to the end of the file.
    problem(`the RIFF header declares ${header.declaredSize} bytes, too few for its form type; read to the end of the file`);
    riffEnd = source.size;
  } else if (riffEnd > source.size) {
    problem(`the RIFF header declares ${header.declaredSize} bytes, past the end of the file (${source.size} bytes)`);
    riffEnd = source.size;
  } else if (riffEnd & 1) {
    problem(`the RIFF header declares an odd size (${header.declaredSize}); RIFF chunks are word-aligned`);
  }
  const { chunks, trailing } = await riff.listRiffChunks(source, 12, riffEnd, 'avi', undefined, damage);
  const movi = chunks.find((c) => c.id === 'LIST' && c.listType === 'movi');
  if (!movi) problem('no LIST movi chunk');
  const rest = riffEnd < source.size ? (await riff.listRiffChunks(source, riffEnd, source.size, 'avi', undefined, damage)).chunks : [];
  const layout = { riffEnd, chunksEnd: riffEnd - trailing, chunks, extended: rest.some((c) => c.id === 'RIFF' && c.listType === 'AVIX') };
  return movi ? { ...layout, movi } : layout;
}

const isInfoList = (c: riff.RiffChunk): boolean => c.id === 'LIST' && c.listType === 'INFO';
const isAigc = (id: string): boolean => id.toUpperCase() === INFO_ID;

/** The entries of a LIST INFO; when salvaging (`damage`), the entries before one that runs past the list's end. */
async function readInfo(source: ByteSource, list: riff.RiffChunk, damage?: string[]): Promise<riff.InfoEntry[]> {
  if (list.size > maximumInfoInBytes)
    throw new LimitExceededError(`avi: LIST INFO at offset ${list.offset} is over ${maximumInfoInBytes} bytes`);
  const body = await readExact(source, list.dataOffset + 4, list.size - 4, 'avi', 'LIST INFO');
  return riff.parseInfoList(body, 'avi', list.dataOffset + 4, damage);
}

/** A JUNK chunk of exactly `total` bytes (8 or more, even). */
const junk = (total: number): Uint8Array => riff.riffChunk('JUNK', new Uint8Array(total - 8));
/** Room left in a padding chunk after taking `growth` bytes from it: usable when 0 or at least a chunk header. */
const fits = (total: number, growth: number): boolean => total - growth === 0 || total - growth >= 8;

export const avi: FormatHandler = {
  id: 'avi',
  kind: 'video',
  name: 'AVI',
  extensions: ['avi'],
  mimeTypes: ['video/x-msvideo', 'video/avi'],
  carrier: 'LIST/INFO sub-chunk AIGC (NUL-terminated JSON)',
  contentRegions: {
    unsupported: 'not declared yet: the LIST/INFO chunk and the RIFF and hdrl sizes change on writing, so the selection must skip them',
  },
  rules: aviRules,
  sniff: (head) => head.length >= 12 && fromAscii(head, 0, 4) === 'RIFF' && fromAscii(head, 8, 12) === 'AVI ',

  async read(source: ByteSource): Promise<ReadResult> {
    const damage: string[] = [];
    const { chunks, extended } = await readLayout(source, damage);
    const carriers: LabelCarrier[] = [];
    const add = (raw: string, location: string, offset: number, canonical: boolean) => {
      const decoded = decodeLabel(raw);
      carriers.push({
        carrier: canonical ? 'avi-info' : 'riff-chunk',
        location,
        offset,
        raw,
        label: decoded.label,
        form: decoded.form,
        canonical,
        findings: decoded.findings,
      });
    };
    for (const chunk of chunks) {
      if (isInfoList(chunk)) {
        for (const entry of await readInfo(source, chunk, damage)) {
          if (isAigc(entry.id))
            add(
              fromUtf8(entry.data),
              `LIST INFO at byte ${chunk.offset}, sub-chunk ${entry.id} at byte ${entry.offset}`,
              entry.offset,
              true,
            );
        }
      } else if (isAigc(chunk.id) && chunk.size <= maximumInfoInBytes) {
        add(
          fromUtf8(await readExact(source, chunk.dataOffset, chunk.size, 'avi', 'AIGC chunk')),
          `RIFF chunk ${chunk.id} at byte ${chunk.offset}`,
          chunk.offset,
          false,
        );
      }
    }
    const findings: Finding[] = damage.map((problem) => finding(Rules.damaged, 'error', problem));
    if (extended) findings.push(finding('avi/opendml', 'info', 'OpenDML file (RIFF AVIX extensions)'));
    return { format: 'avi', carriers, findings };
  },

  /**
   * Keeps `movi` where it is, so idx1 (offsets relative to movi or absolute) and
   * OpenDML indx/ix## offsets stay valid: the INFO list grows into a JUNK chunk
   * before movi; without room it is appended after idx1 at the end of the RIFF
   * (not possible when AVIX chunks follow, which would move).
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const { riffEnd, chunksEnd, chunks, movi, extended } = await readLayout(source);
    if (!movi) throw new MalformedInputError('avi', 'no LIST movi chunk');
    // TC260-PG-20257A Annex D: the value is NUL-terminated; riffChunk pads it to an even length.
    const value = concat([utf8(encodeLabel(label, options.form)), new Uint8Array(1)]);
    const info = chunks.find(isInfoList);
    const entries = info ? (await readInfo(source, info)).filter((e) => !isAigc(e.id)) : [];
    if (entries.length + 1 > riff.maximumInfoEntries) {
      throw new LimitExceededError(`avi: the LIST INFO would have more than ${riff.maximumInfoEntries} entries with the label`);
    }
    const newInfo = riff.buildInfoList([...entries, { id: INFO_ID, data: value }]);
    const edits: { start: number; end: number; insert: Uint8Array }[] = [];
    // A stray top-level AIGC chunk becomes JUNK: one label per file (GB 45438 §6.1 c)).
    for (const c of chunks.filter((c) => isAigc(c.id))) edits.push({ start: c.offset, end: c.end, insert: junk(c.end - c.offset) });

    const infoBeforeMovi = info !== undefined && info.offset < movi.offset;
    const from = infoBeforeMovi ? info.offset : 12;
    const padding = chunks.find((c) => c.id === 'JUNK' && c.offset >= from && c.end <= movi.offset);
    const oldLength = infoBeforeMovi ? info.end - info.offset : 0;
    const growth = newInfo.length - oldLength;
    if (padding && fits(padding.end - padding.offset, growth)) {
      const rest = padding.end - padding.offset - growth;
      if (infoBeforeMovi) {
        edits.push({ start: info.offset, end: info.end, insert: newInfo });
        edits.push({ start: padding.offset, end: padding.end, insert: rest === 0 ? new Uint8Array(0) : junk(rest) });
      } else {
        edits.push({ start: padding.offset, end: padding.end, insert: rest === 0 ? newInfo : concat([newInfo, junk(rest)]) });
        if (info) edits.push({ start: info.offset, end: info.end, insert: junk(info.end - info.offset) });
      }
      return { segments: splicePlan(source.size, edits).segments, findings: [] };
    }
    if (extended) {
      throw new UnsupportedFormatError(
        'avi: OpenDML file (RIFF AVIX) with no JUNK room before movi for the INFO list; growing the first RIFF would move the AVIX chunks',
      );
    }
    let riffGrowth: number;
    if (info && !infoBeforeMovi) {
      edits.push({ start: info.offset, end: info.end, insert: newInfo });
      riffGrowth = newInfo.length - (info.end - info.offset);
    } else {
      if (info) edits.push({ start: info.offset, end: info.end, insert: junk(info.end - info.offset) });
      // After the last whole chunk, not after stray bytes that would put the new list out of step for every reader.
      edits.push({ start: chunksEnd, end: chunksEnd, insert: newInfo });
      riffGrowth = newInfo.length;
    }
    const size = riffEnd - 8 + riffGrowth;
    if (size > 0xffffffff) throw new LimitExceededError('avi: the RIFF chunk would pass 4 GiB');
    const sizeField = new Uint8Array(4);
    putU32le(sizeField, 0, size);
    edits.push({ start: 4, end: 8, insert: sizeField });
    return { segments: splicePlan(source.size, edits).segments, findings: [] };
  },
};

/** avi with its visible label; the registry passes the image and audio tools it draws and reads with. */
export const aviWithLabels = (tools: VideoLabelTools): FormatHandler => ({
  ...avi,
  explicit: visibleVideoLabel(tools),
  watermark: videoWatermark(tools.watermark),
});

import {
  type AigcLabel,
  type ByteSource,
  encodeLabel,
  type Finding,
  type FormatHandler,
  finding,
  MalformedInputError,
  type ReadResult,
  Rules,
  regionsExcept,
  type Segment,
  UnsupportedFormatError,
  type WriteOptions,
  type WriteResult,
} from '@aigc-label/core';
import { flacSignatureAfter } from '../flac/blocks.js';
import { flac } from '../flac/index.js';
import { readAppendedId3Tag } from '../id3/appended.js';
import { AIGC_DESCRIPTION, id3LabelCarriers, id3TagFindings, rewriteId3Label } from '../id3/label.js';
import { afterLeadingId3Tags, id3ChainEnd, id3HidesWhatFollows, type LeadingId3Tag, readLeadingId3Tags } from '../id3/leading.js';
import { buildId3Tag, buildUserTextFrame, isId3Header, newId3v24 } from '../id3/tag.js';
import { audibleLabel } from '../rhythm/capability.js';
import { audioWatermark } from '../watermark/capability.js';
import { mpegFrameHeader } from './frame-header.js';

/** Findings only this format emits, with their meaning (the README's rule table is generated from these). */
export const mp3Rules = {
  'id3/tag-resized': 'the ID3 tag changed size; the audio after it moved (info)',
  'format/id3-before-flac': 'an ID3v2 tag precedes "fLaC": the file is FLAC and is labeled in its VORBIS_COMMENT (info)',
} as const;

/** Padding given to a new or grown tag, so the next relabel fits without moving the audio. */
const newTagPaddingInBytes = 1024;
/** How far around the end of the leading ID3 tags the first audio frame is looked for. */
const resyncWindowInBytes = 2048;

/** Length of the MPEG audio layer III frame whose header is at `at`, or 0 when there is none. */
const layer3FrameLength = (bytes: Uint8Array, at: number): number => mpegFrameHeader(bytes, at)?.length ?? 0;

/** A layer III frame header at `at` followed by another one where it ends (or by the end of `bytes`). */
function audioFramesAt(bytes: Uint8Array, at: number): boolean {
  const length = layer3FrameLength(bytes, at);
  if (length === 0) return false;
  return at + length + 4 > bytes.length || layer3FrameLength(bytes, at + length) > 0;
}

/** The first offset in `bytes` from `from` where two layer III frames follow each other, or -1. Linear. */
function findAudioFrames(bytes: Uint8Array, from: number): number {
  for (let at = Math.max(0, from); at + 4 <= bytes.length; at++) {
    if (bytes[at] === 0xff && audioFramesAt(bytes, at)) return at;
  }
  return -1;
}

export const mp3: FormatHandler = {
  id: 'mp3',
  kind: 'audio',
  name: 'MP3',
  extensions: ['mp3'],
  mimeTypes: ['audio/mpeg'],
  carrier: 'ID3v2 TXXX frame, description AIGC',
  /**
   * Scheme `mp3/after-id3v2@1`: every byte after the leading ID3v2 tags (the audio frames, a Xing
   * or LAME header, APE and ID3v1 tags) except an ID3v2 tag appended at the end. A write rewrites
   * the first leading tag whole (or adds one) and takes a label out of an appended tag.
   */
  contentRegions: {
    scheme: 'mp3/after-id3v2@1',
    async regions(source) {
      const tags = await readLeadingId3Tags(source, 'mp3');
      if (await startsFlac(source, tags))
        throw new UnsupportedFormatError(
          'mp3: an ID3v2 tag precedes "fLaC": the file is FLAC, which the MP3 scheme does not select (labeled as FLAC, it is bound)',
        );
      const audioStart = Math.min(afterLeadingId3Tags(tags), source.size);
      const appended = await appendedTag(source, audioStart, []);
      const tail = appended ? [{ start: appended.offset, end: appended.offset + appended.tag.totalSize }] : [];
      return regionsExcept(source.size, [{ start: 0, end: audioStart }, ...tail]);
    },
  },
  rules: mp3Rules,
  explicit: audibleLabel,
  watermark: audioWatermark,
  sniffUncertain: (head) => id3HidesWhatFollows(head, 'mp3'),
  sniff(head) {
    if (!isId3Header(head)) {
      if (layer3FrameLength(head, 0) > 0) return true;
      // Leading zero padding before the first frame (seen in the wild: sin1k0db.mp3).
      let at = 0;
      while (at < head.length && head[at] === 0) at++;
      return at > 0 && audioFramesAt(head, at);
    }
    const end = id3ChainEnd(head, 'mp3');
    // Tags longer than the head (cover art): MP3 or FLAC; `read` and `write` look past them.
    if (end === null || end + 4 > head.length) return end !== null;
    if (flacSignatureAfter(head, end)) return false;
    if (layer3FrameLength(head, end) > 0) return true;
    // A tag size slightly off (too large or too small): the frames are found near its end.
    return findAudioFrames(head, Math.max(end - resyncWindowInBytes, 10)) >= 0;
  },

  /** Reads every TXXX:AIGC frame; a tag cut short by the end of the file is read as far as it goes (issue 25 item 2). */
  async read(source: ByteSource): Promise<ReadResult> {
    const tags = await readLeadingId3Tags(source, 'mp3', true);
    if (await startsFlac(source, tags)) return readAsFlac(source);
    const carriers = tags.flatMap(({ offset, tag }, index) => id3LabelCarriers(tag, offset, index === 0, ''));
    const findings: Finding[] = tags.flatMap(({ offset, tag }) => id3TagFindings(tag, offset, source.size));
    if (afterLeadingId3Tags(tags) > source.size) return { format: 'mp3', carriers, findings };
    const appended = await appendedTag(source, afterLeadingId3Tags(tags), findings);
    if (appended) carriers.push(...id3LabelCarriers(appended.tag, appended.offset, false, 'appended '));
    if (tags.length > 1)
      findings.push(finding(Rules.damaged, 'info', `${tags.length} ID3v2 tags follow each other at the start of the file`));
    const overlap = await audioInsideTag(source, tags);
    if (overlap) findings.push(finding(Rules.damaged, 'warning', overlap));
    return { format: 'mp3', carriers, findings };
  },

  /**
   * Rewrites the first ID3v2 tag with one TXXX:AIGC frame (v2.4 UTF-8 in a new
   * tag, the existing tag's version otherwise); all other frames are copied as
   * stored, and the audio after the tag is a copied range.
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const tags = await readLeadingId3Tags(source, 'mp3');
    if (await startsFlac(source, tags)) return flac.write(source, label, options);
    // Zeroing the padding of such a tag would overwrite the first audio frame.
    const overlap = await audioInsideTag(source, tags);
    if (overlap) throw new MalformedInputError('mp3', `${overlap}; not labeled, to keep the audio intact`);
    const json = encodeLabel(label, options.form ?? 'bare');
    const segments: Segment[] = [];
    const findings: Finding[] = tags.flatMap(({ offset, tag }) => id3TagFindings(tag, offset));
    let audioStart = 0;
    if (tags.length === 0) {
      segments.push(buildId3Tag(newId3v24, [buildUserTextFrame(4, 0, AIGC_DESCRIPTION, json)], { extraPadding: newTagPaddingInBytes }));
    }
    for (const [index, { offset, tag }] of tags.entries()) {
      const rewritten = rewriteId3Label(tag, index === 0 ? json : null, newTagPaddingInBytes);
      const unchanged = index > 0 && id3LabelCarriers(tag, offset, false, '').length === 0;
      segments.push(unchanged ? { from: offset, length: tag.totalSize } : rewritten);
      if (index === 0 && rewritten.length !== tag.totalSize) {
        findings.push(
          finding(
            'id3/tag-resized',
            'info',
            `the ID3 tag went from ${tag.totalSize} to ${rewritten.length} bytes; the audio after it moved`,
          ),
        );
      }
      audioStart = offset + tag.totalSize;
    }
    // One label per file (GB 45438 §6.1 c)): a label in a tag appended at the end is taken out of it.
    const appended = await appendedTag(source, audioStart, findings);
    if (appended && id3LabelCarriers(appended.tag, appended.offset, false, '').length > 0) {
      segments.push({ from: audioStart, length: appended.offset - audioStart });
      segments.push(rewriteId3Label(appended.tag, null, 0));
      audioStart = appended.offset + appended.tag.totalSize;
      findings.push(
        finding(
          Rules.multipleLabels,
          'info',
          `removed the label from the ID3 tag appended at byte ${appended.offset}; it is now in the first tag`,
        ),
      );
    }
    if (audioStart < source.size) segments.push({ from: audioStart, length: source.size - audioStart });
    return { segments, findings };
  },
};

/** Some taggers put an ID3v2 tag in front of a FLAC file: such a file is labeled as FLAC. */
async function startsFlac(source: ByteSource, tags: readonly LeadingId3Tag[]): Promise<boolean> {
  const end = afterLeadingId3Tags(tags);
  if (tags.length === 0 || end + 4 > source.size) return false;
  return flacSignatureAfter(await source.read(end, 4), 0);
}

async function readAsFlac(source: ByteSource): Promise<ReadResult> {
  const read = await flac.read(source);
  const note = finding('format/id3-before-flac', 'info', 'an ID3v2 tag precedes "fLaC": the file is FLAC, labeled in its VORBIS_COMMENT');
  return { ...read, findings: [note, ...read.findings] };
}

/**
 * When the last leading tag declares more bytes than it holds, the first audio frame
 * starts inside it, in what looks like padding. Returns a description, or null.
 */
async function audioInsideTag(source: ByteSource, tags: readonly LeadingId3Tag[]): Promise<string | null> {
  const last = tags[tags.length - 1];
  if (!last || (last.tag.trailing.length === 0 && !last.tag.paddingHasData)) return null;
  const end = last.offset + last.tag.totalSize - (last.tag.hasFooter ? 10 : 0);
  const framesEnd = end - last.tag.padding - last.tag.trailing.length;
  const from = Math.max(framesEnd, end - resyncWindowInBytes);
  const window = await source.read(from, Math.min(source.size, end + resyncWindowInBytes) - from);
  const at = findAudioFrames(window, 0);
  if (at < 0 || from + at >= end) return null;
  return `the ID3 tag at byte ${last.offset} declares ${last.tag.totalSize} bytes, but MPEG audio frames start at byte ${from + at}, inside it`;
}

/** The ID3v2.4 tag appended at the end, if any; a damaged one is a finding, not a failure (the audio is fine). */
async function appendedTag(source: ByteSource, audioStart: number, findings: Finding[]): Promise<LeadingId3Tag | null> {
  try {
    return await readAppendedId3Tag(source, 'mp3', audioStart);
  } catch (error) {
    if (!(error instanceof MalformedInputError)) throw error;
    findings.push(finding(Rules.damaged, 'warning', `the ID3 tag appended at the end cannot be read: ${error.message}`));
    return null;
  }
}

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
  type Segment,
  type WriteOptions,
  type WriteResult,
} from '@aigc-label/core';
import { readAppendedId3Tag } from '../id3/appended.js';
import { AIGC_DESCRIPTION, id3LabelCarriers, rewriteId3Label } from '../id3/label.js';
import { afterLeadingId3Tags, type LeadingId3Tag, readLeadingId3Tags } from '../id3/leading.js';
import { buildId3Tag, buildUserTextFrame, id3TagSize, isId3Header, newId3v24 } from '../id3/tag.js';
import { audibleLabel } from '../rhythm/capability.js';

/** Findings only this format emits, with their meaning (the README's rule table is generated from these). */
export const mp3Rules = {
  'id3/tag-resized': 'the ID3 tag changed size; the audio after it moved (info)',
} as const;

/** Padding given to a new or grown tag, so the next relabel fits without moving the audio. */
const newTagPaddingInBytes = 1024;
/** MPEG audio frame sync with layer III (ISO/IEC 11172-3 §2.4.2.3): 11 set bits, layer bits 01. */
const isLayer3Sync = (head: Uint8Array, at: number): boolean =>
  head[at] === 0xff && (head[at + 1] & 0xe0) === 0xe0 && ((head[at + 1] >> 1) & 3) === 1 && (head[at + 1] & 0x18) !== 0x08;

export const mp3: FormatHandler = {
  id: 'mp3',
  kind: 'audio',
  name: 'MP3',
  extensions: ['mp3'],
  mimeTypes: ['audio/mpeg'],
  carrier: 'ID3v2 TXXX frame, description AIGC',
  rules: mp3Rules,
  explicit: audibleLabel,
  sniff(head) {
    if (!isId3Header(head)) return isLayer3Sync(head, 0);
    // An ID3 tag also prefixes some FLAC and AAC files: look past it when it fits in the head.
    let size: number;
    try {
      size = id3TagSize(head, 'mp3');
    } catch {
      return false;
    }
    if (size + 4 > head.length) return true;
    return isLayer3Sync(head, size) || isId3Header(head, size);
  },

  async read(source: ByteSource): Promise<ReadResult> {
    const tags = await readLeadingId3Tags(source, 'mp3');
    const carriers = tags.flatMap(({ offset, tag }, index) => id3LabelCarriers(tag, offset, index === 0, ''));
    const findings: Finding[] = [];
    const appended = await appendedTag(source, afterLeadingId3Tags(tags), findings);
    if (appended) carriers.push(...id3LabelCarriers(appended.tag, appended.offset, false, 'appended '));
    for (const { offset, tag } of tags) {
      if (tag.paddingHasData)
        findings.push(finding(Rules.damaged, 'info', `the ID3 tag at byte ${offset} has non-zero bytes after its last frame`));
    }
    if (tags.length > 1)
      findings.push(finding(Rules.damaged, 'info', `${tags.length} ID3v2 tags follow each other at the start of the file`));
    return { format: 'mp3', carriers, findings };
  },

  /**
   * Rewrites the first ID3v2 tag with one TXXX:AIGC frame (v2.4 UTF-8 in a new
   * tag, the existing tag's version otherwise); all other frames are copied as
   * stored, and the audio after the tag is a copied range.
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const json = encodeLabel(label, options.form ?? 'bare');
    const tags = await readLeadingId3Tags(source, 'mp3');
    const segments: Segment[] = [];
    const findings: Finding[] = [];
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

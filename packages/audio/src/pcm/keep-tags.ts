/**
 * After a full re-encode through ffmpeg, the file's own metadata is put back whole where ffmpeg
 * cannot carry it over exactly: an Ogg stream's comment header (its METADATA_BLOCK_PICTURE
 * cover art, vendor string and every comment), an M4A file's `moov/udta` and `moov/meta` (cover
 * art in `covr`, iTunes items, custom `mdta` keys), a FLAC file's metadata blocks other than
 * STREAMINFO and SEEKTABLE (comments, pictures, application and cue-sheet blocks, padding), and
 * an MP3 file's tags before and after its frames (ID3v2, ID3v1, APE). The audio ffmpeg wrote stays.
 */
import { type ByteSource, concat, type Finding, isobmff, mp4Meta, planSource, readExact, utf8 } from '@aigc-label/core';
import { BLOCK_STREAMINFO, readFlacMetadata } from '../flac/blocks.js';
import { afterLeadingId3Tags, readLeadingId3Tags } from '../id3/leading.js';
import { walkMpegFrames } from './mpeg-frames.js';

/** Boxes directly under `moov` that hold the file's tags (QuickTime and ISO/IEC 14496-12 §8.10). */
const TAG_BOXES = new Set(['udta', 'meta']);

async function tagBoxes(source: ByteSource): Promise<Uint8Array[]> {
  const { moov } = await mp4Meta.readMp4Layout(source, 'm4a');
  const bytes = await isobmff.readBox(source, moov, 'm4a', mp4Meta.maximumMoovInBytes);
  return isobmff
    .listBoxesIn(bytes, moov.headerSize, bytes.length, 'm4a')
    .filter((box) => TAG_BOXES.has(box.type))
    .map((box) => bytes.subarray(box.offset, box.end));
}

/** The rendered file with the source's tag boxes in place of the ones ffmpeg wrote. */
async function withSourceMp4Tags(source: ByteSource, rendered: ByteSource): Promise<ByteSource> {
  const kept = await tagBoxes(source);
  const plan = await mp4Meta.planMoovRewrite(rendered, 'm4a', (moovBytes, moov) => {
    const children = isobmff
      .listBoxesIn(moovBytes, moov.headerSize, moovBytes.length, 'm4a')
      .filter((box) => !TAG_BOXES.has(box.type))
      .map((box) => moovBytes.subarray(box.offset, box.end));
    return isobmff.makeBox('moov', [...children, ...kept]);
  });
  return planSource(plan, rendered);
}

/** The rendered Ogg file with the source's comment list (null when the source has none to give). */
async function withSourceOggComments(source: ByteSource, rendered: ByteSource): Promise<{ source: ByteSource; findings: Finding[] }> {
  // Loaded when used: the Ogg format module itself reaches this module through the audible label.
  const { readOggComments, rewriteOggComments } = await import('../ogg/index.js');
  const comments = await readOggComments(source);
  if (!comments) return { source: rendered, findings: [] };
  const { segments, findings } = await rewriteOggComments(rendered, () => comments);
  return { source: planSource({ segments }, rendered), findings: [...findings] };
}

/** FLAC SEEKTABLE (FLAC format §METADATA_BLOCK_SEEKTABLE): it indexes the frames, so the rendered file's own is kept. */
const FLAC_SEEKTABLE = 3;

/** The rendered FLAC's STREAMINFO and SEEKTABLE (they describe its frames), then every other block of the source, then its frames. */
async function withSourceFlacBlocks(source: ByteSource, rendered: ByteSource): Promise<ByteSource> {
  const from = await readFlacMetadata(source);
  const to = await readFlacMetadata(rendered);
  const own = to.blocks.filter((b) => b.type === BLOCK_STREAMINFO || b.type === FLAC_SEEKTABLE);
  const kept = from.blocks.filter((b) => b.type !== BLOCK_STREAMINFO && b.type !== FLAC_SEEKTABLE);
  const parts: Uint8Array[] = [await readExact(source, 0, from.magic, 'flac', 'leading tags'), utf8('fLaC')];
  const all = [...own.map((b) => ({ ...b, from: rendered })), ...kept.map((b) => ({ ...b, from: source }))];
  for (const [i, block] of all.entries()) {
    const bytes = (await readExact(block.from, block.offset, 4 + block.length, 'flac', 'metadata block')).slice();
    bytes[0] = (bytes[0]! & 0x7f) | (i === all.length - 1 ? 0x80 : 0);
    parts.push(bytes);
  }
  return planSource({ segments: [concat(parts), { from: to.audioStart, length: rendered.size - to.audioStart }] }, rendered);
}

/** The rendered MP3's frames between the source's own leading and trailing tags, kept as they were. */
async function withSourceMp3Tags(source: ByteSource, rendered: ByteSource): Promise<ByteSource> {
  const sourceStart = afterLeadingId3Tags(await readLeadingId3Tags(source, 'mp3'));
  const renderedStart = afterLeadingId3Tags(await readLeadingId3Tags(rendered, 'mp3'));
  const sourceFrames = await walkMpegFrames(source, sourceStart);
  const renderedFrames = await walkMpegFrames(rendered, renderedStart);
  if (!sourceFrames || !renderedFrames) return rendered;
  const before = await readExact(source, 0, sourceFrames.offsets[0]!, 'mp3', 'leading tags');
  const after = await readExact(source, sourceFrames.end, source.size - sourceFrames.end, 'mp3', 'trailing tags');
  const start = renderedFrames.offsets[0]!;
  return planSource({ segments: [before, { from: start, length: renderedFrames.end - start }, after] }, rendered);
}

/** Whether the container is one whose tags are put back after a re-encode (ffprobe's format name). */
export const keepsTagsAfterReencode = (container: string): boolean => /^(ogg|mov|flac|mp3)/.test(container);

/** Puts the source's container tags back on the re-encoded file (see the module comment). */
export async function restoreTags(
  container: string,
  source: ByteSource,
  rendered: ByteSource,
): Promise<{ source: ByteSource; findings: Finding[] }> {
  if (container.startsWith('ogg')) return withSourceOggComments(source, rendered);
  if (container.startsWith('mov')) return { source: await withSourceMp4Tags(source, rendered), findings: [] };
  if (container.startsWith('flac')) return { source: await withSourceFlacBlocks(source, rendered), findings: [] };
  if (container.startsWith('mp3')) return { source: await withSourceMp3Tags(source, rendered), findings: [] };
  return { source: rendered, findings: [] };
}

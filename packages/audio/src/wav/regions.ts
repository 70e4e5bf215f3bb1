import { type ByteSource, type ContentRegionsCapability, type CopyRange, riff } from '@aigc-label/core';

/** Chunks a label write adds, rewrites or removes: the label chunk, LIST/INFO and id3 tags (which may hold one), and ds64 (sizes). */
const isRewritable = (chunk: riff.RiffChunk): boolean =>
  chunk.id.toUpperCase() === 'AIGC' ||
  (chunk.id === 'LIST' && chunk.listType === 'INFO') ||
  chunk.id === 'id3 ' ||
  chunk.id === 'ID3 ' ||
  chunk.id === 'ds64';

/**
 * WAV content regions, scheme `wav/chunks-but-label@1`: for every top-level chunk but the
 * `AIGC` chunk, LIST/INFO, id3 and ds64, its FourCC and its data in file order (not its size
 * field or pad byte, which a streamed file gets fixed on writing), then any bytes after the
 * last chunk. Covers the samples (`data`), the format (`fmt `), cue points, BWF `bext` and
 * the other chunks; not the RIFF header (sizes), the INFO and id3 tags.
 */
export const wavContentRegions: ContentRegionsCapability = {
  scheme: 'wav/chunks-but-label@1',
  async regions(source: ByteSource) {
    const file = await riff.readRiffFile(source, 'wav', 'WAVE');
    const ranges: CopyRange[] = [];
    for (const chunk of file.chunks) {
      if (isRewritable(chunk)) continue;
      ranges.push(
        { from: chunk.offset, length: 4 },
        { from: chunk.dataOffset, length: Math.min(chunk.size, chunk.end - chunk.dataOffset) },
      );
    }
    const bodyEnd = file.end - file.trailing;
    if (source.size > bodyEnd) ranges.push({ from: bodyEnd, length: source.size - bodyEnd });
    return ranges;
  },
};

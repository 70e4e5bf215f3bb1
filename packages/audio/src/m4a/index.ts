import {
  type AigcLabel,
  type ByteSource,
  encodeLabel,
  type FormatHandler,
  fromAscii,
  isobmff,
  mp4Meta,
  type ReadResult,
  type WriteOptions,
  type WriteResult,
} from '@aigc-label/core';
import { audibleLabel } from '../rhythm/capability.js';
import { audioWatermark } from '../watermark/capability.js';
import { m4aContentRegions } from './regions.js';

/** True when `ftyp` names an audio brand as major or compatible brand. */
function hasAudioBrand(head: Uint8Array): boolean {
  if (head.length < 16 || fromAscii(head, 4, 8) !== 'ftyp') return false;
  const end = Math.min(head.length, (head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]);
  if (isobmff.AUDIO_BRANDS.has(fromAscii(head, 8, 12))) return true;
  for (let at = 16; at + 4 <= end; at += 4) if (isobmff.AUDIO_BRANDS.has(fromAscii(head, at, at + 4))) return true;
  return false;
}

/** M4A: the same moov/udta/meta carrier as MP4 (TC260-PG-202510A), through core's shared ISO-BMFF code. */
export const m4a: FormatHandler = {
  id: 'm4a',
  kind: 'audio',
  name: 'MPEG-4 Audio',
  extensions: ['m4a', 'm4b', 'm4p', 'f4a'],
  mimeTypes: ['audio/mp4', 'audio/x-m4a'],
  carrier: 'moov/udta/meta mdta key AIGC (ilst UTF-8 data)',
  explicit: audibleLabel,
  contentRegions: m4aContentRegions,
  watermark: audioWatermark,
  sniff: hasAudioBrand,
  // An audio brand among the compatible brands only (an M4V listing M4A) names one ISO-BMFF family, not a
  // second format: the extension, else the major brand, decides (issue 13).
  sniffUncertain: (head) => head.length < 12 || !isobmff.AUDIO_BRANDS.has(fromAscii(head, 8, 12)),

  async read(source: ByteSource): Promise<ReadResult> {
    const { carriers, findings } = await mp4Meta.readMp4Carriers(source, 'm4a');
    return { format: 'm4a', carriers, findings };
  },

  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const { plan, findings } = await mp4Meta.planMp4Label(source, encodeLabel(label, options.form), 'm4a');
    return { segments: plan.segments, findings };
  },
};

import {
  type AigcLabel,
  type ByteSource,
  encodeLabel,
  type FormatHandler,
  isobmff,
  mp4Meta,
  type ReadResult,
  type WriteOptions,
  type WriteResult,
} from '@aigc-label/core';
import { type VideoLabelTools, visibleVideoLabel } from '../explicit/capability.js';
import { videoWatermark } from '../watermark/capability.js';
import { isobmffBrand } from './brand.js';
import { planAvcParameterSets } from './parameter-sets.js';
import { mp4ContentRegions } from './regions.js';

/** HEIF/AVIF brands (ISO/IEC 23008-12): still images, handled by the image package. */
const IMAGE_BRANDS = new Set(['mif1', 'mif3', 'msf1', 'heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'avif', 'avis', 'avci', 'jpeg']);
export const mp4: FormatHandler = {
  id: 'mp4',
  kind: 'video',
  name: 'MPEG-4 / QuickTime',
  extensions: ['mp4', 'mov', 'm4v', 'qt', '3gp'],
  mimeTypes: ['video/mp4', 'video/quicktime', 'video/x-m4v', 'video/3gpp'],
  carrier: 'moov/udta/meta mdta key AIGC (ilst UTF-8 data)',
  contentRegions: mp4ContentRegions,
  sniff(head) {
    const brand = isobmffBrand(head);
    return brand !== null && !IMAGE_BRANDS.has(brand) && !isobmff.AUDIO_BRANDS.has(brand);
  },

  async read(source: ByteSource): Promise<ReadResult> {
    const { carriers, findings } = await mp4Meta.readMp4Carriers(source, 'mp4');
    return { format: 'mp4', carriers, findings };
  },

  /** TC260-PG-20257A §6.1.1: the bare JSON under mdta key AIGC; media data is copied as ranges. */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const { plan, findings } = await mp4Meta.planMp4Label(source, encodeLabel(label, options.form), 'mp4');
    return { segments: plan.segments, findings };
  },
};

/** mp4 with its visible label; the registry passes the image and audio tools it draws and reads with. */
export const mp4WithLabels = (tools: VideoLabelTools): FormatHandler => ({
  ...mp4,
  explicit: visibleVideoLabel(tools, planAvcParameterSets),
  watermark: videoWatermark(tools.watermark),
});

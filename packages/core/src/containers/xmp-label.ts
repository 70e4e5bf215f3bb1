import type { WriteOptions } from '../format.js';
import { setTrainedAlgorithmicMedia } from '../provenance.js';
import { upsertAigcXmp } from './xmp.js';

/**
 * The XMP packet every image writer stores: the existing packet with TC260:AIGC
 * set (or a new packet), plus IPTC DigitalSourceType trainedAlgorithmicMedia when
 * `options.iptc` asks for dual labeling.
 */
export function labelXmpPacket(existing: string | null, json: string, options: WriteOptions = {}): string {
  const packet = upsertAigcXmp(existing, json);
  return options.iptc === true ? setTrainedAlgorithmicMedia(packet) : packet;
}

import type { PcmFormat } from '../pcm/ffmpeg.js';
import { WatermarkEmbedder, type WatermarkEmbedOptions } from './embed.js';

/**
 * Marks a stream of interleaved PCM chunks (as `decodePcm` yields them), for the decode →
 * splice → encode pipeline: `encodePcm(watermarkPcm(spliceLabel(decodePcm(...)), ...), ...)`.
 * The output has exactly as many samples as the input.
 */
export async function* watermarkPcm(
  pcm: AsyncIterable<Float32Array>,
  format: PcmFormat,
  payload: Uint8Array,
  options: WatermarkEmbedOptions = {},
): AsyncGenerator<Float32Array> {
  const embedder = new WatermarkEmbedder(payload, format.sampleRate, format.channels, options);
  for await (const chunk of pcm) {
    const marked = embedder.push(chunk);
    if (marked.length > 0) yield marked;
  }
  const rest = embedder.finish();
  if (rest.length > 0) yield rest;
}

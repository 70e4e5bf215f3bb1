import { toHex, type WatermarkCapability, type WatermarkReading } from '@aigc-label/core';
import type { WatermarkDetection } from './detect.js';
import { CODED_BITS } from './layout.js';

/** A found audio mark as a reading; confidence is the cells' normalised correlation with the decoded codeword. */
export function audioWatermarkReadings(detection: WatermarkDetection): WatermarkReading[] {
  if (!detection.found || !detection.payload) return [];
  return [
    {
      payload: detection.payload,
      confidence: Math.max(0, Math.min(1, detection.codewordZ / Math.sqrt(CODED_BITS))),
      falsePositiveBound: detection.falsePositiveBound,
      detail: `audio watermark, payload ${toHex(detection.payload)}, sync ${detection.syncZ.toFixed(1)} σ, ${detection.durationSeconds.toFixed(1)} s read`,
      where: 'samples',
    },
  ];
}

/**
 * The audio mark (keyed patchwork in 500-3500 Hz cells, `watermark/README.md`): embedded through
 * the audible labels' decode and encode path (same codec, rate, layout and bit rate), read in the
 * audible search's own 8 kHz decode when that runs.
 */
export const audioWatermark: WatermarkCapability = {
  summary: 'keyed patchwork mark in 500-3500 Hz (re-encodes the audio)',
  embedCost: 'media',
  detectCost: 'media',
  readBy: 'audible',
  embedder: {
    input: 'file',
    async embed(paths, { payload, key }) {
      // Loaded here, not with the format modules that hold this capability.
      const { applyAudioWatermark } = await import('./apply.js');
      const { source } = await applyAudioWatermark(paths, payload, { key });
      return { detail: `audio mark, re-encoded as ${source.codec} ${source.sampleRate} Hz × ${source.channels}`, findings: [] };
    },
  },
  async detect(input) {
    const { detectWatermark } = await import('./detect.js');
    const detection = await detectWatermark(input.path ? { path: input.path } : await input.bytes(), { key: input.key });
    return { readings: audioWatermarkReadings(detection), findings: [] };
  },
};

import {
  type Evidence,
  type ExplicitCapability,
  type ExplicitSearch,
  type ExplicitSearchResult,
  finding,
  type Placement,
  UsageError,
} from '@aigc-label/core';
import type { ExplicitLabelResult } from '../pcm/relabel.js';
import { audioWatermarkReadings } from '../watermark/capability.js';
import type { detectAudibleLabels } from './audible.js';

// The decoders, detectors, voice templates and encoders load when a label is heard or applied,
// not with the format modules that hold this capability (reading metadata needs none of them).
const hearing = () => import('./audible.js');
const voicing = () => import('../voice/prompt.js');

/**
 * Looks for both audible label forms of GB 45438 §5.3 (the ·−·· rhythm anywhere, the built-in
 * voice prompts at the ends) in one decode. Used for audio files and for video sound tracks.
 */
export const audibleSearch: ExplicitSearch = {
  enabledBy: 'audible',
  cost: 'media',
  async run(input): Promise<ExplicitSearchResult> {
    let detection: Awaited<ReturnType<typeof detectAudibleLabels>>;
    try {
      const watermark = input.watermark ? { watermark: { key: input.watermark.key } } : {};
      detection = await (await hearing()).detectAudibleLabels(
        input.source ? { source: input.source, path: input.path } : input.path ? { path: input.path } : await input.bytes(),
        watermark,
      );
    } catch (error) {
      return {
        evidence: [],
        findings: [finding('explicit/rhythm-unavailable', 'info', `rhythm detection could not run: ${(error as Error).message}`)],
      };
    }
    const evidence: Evidence[] = [];
    const { VOICE_PROMPTS } = await voicing();
    for (const o of detection.voice.occurrences) {
      evidence.push({
        kind: 'audio-voice-label',
        scheme: 'explicit',
        aiTrace: true,
        detail: `voice prompt "${VOICE_PROMPTS[o.prompt].text}" at ${o.startSeconds.toFixed(2)}-${o.endSeconds.toFixed(2)} s, similarity ${o.similarity.toFixed(2)}`,
        where: o.position,
      });
    }
    for (const o of detection.rhythm.occurrences) {
      evidence.push({
        kind: 'audio-rhythm-label',
        scheme: 'explicit',
        aiTrace: true,
        detail: `·−·· at ${o.startSeconds.toFixed(2)}-${o.endSeconds.toFixed(2)} s (${o.position}), ${Math.round(o.toneHz)} Hz, unit ${Math.round(o.unitMs)} ms`,
        where: o.position,
      });
    }
    return { evidence, findings: [], ...(detection.watermark ? { watermarks: audioWatermarkReadings(detection.watermark) } : {}) };
  },
};

/** The audible label of GB 45438 §5.3: the rhythm (default) or, with `voice`, a spoken prompt; same format out. */
export const audibleLabel: ExplicitCapability = {
  summary: 'rhythm ·−·· or a spoken prompt (`--voice`)',
  cost: 'media',
  customWording: false,
  searches: [audibleSearch],
  labeler: {
    input: 'file',
    embedsWatermark: true,
    async apply({ input, output, source }, options, watermark) {
      const { voice, mode } = options.audio ?? {};
      const placement: readonly Placement[] = options.audio?.placement ?? options.audio?.positions ?? ['start'];
      const at = (result: ExplicitLabelResult) => result.labelStartsSeconds.map((s) => `${s.toFixed(2)} s`).join(', ');
      const how = (result: ExplicitLabelResult) => (result.spliced ? 'spliced in' : 're-encoded');
      let result: ExplicitLabelResult;
      let detail: string;
      if (voice) {
        const ends = placement.filter((p): p is 'start' | 'end' => p === 'start' || p === 'end');
        if (ends.length !== placement.length) throw new UsageError('a voice prompt goes at the start and/or the end (GB 45438 §5.3 d))');
        const { applyVoiceLabel, VOICE_PROMPTS } = await voicing();
        result = await applyVoiceLabel({ input, output, source, watermark, voice, positions: ends });
        detail = `voice prompt "${VOICE_PROMPTS[voice].text}" (${result.labelSeconds.toFixed(2)} s) at ${at(result)}, ${how(result)}`;
      } else {
        const { applyRhythmLabel } = await import('./apply.js');
        result = await applyRhythmLabel({ input, output, source, watermark, positions: placement, ...(mode ? { mode } : {}) });
        detail = `rhythm label ·−·· (${result.labelSeconds.toFixed(2)} s, ${result.mode}) at ${at(result)}, ${how(result)}`;
      }
      const format = result.source && `${result.source.codec} ${result.source.sampleRate} Hz × ${result.source.channels}`;
      const watermarked = result.watermarked ? `audio mark, embedded in the audible label's re-encode as ${format}` : undefined;
      return {
        findings: [...result.findings],
        summary: { kind: 'audio', detail },
        finish: result.finish,
        spliced: result.spliced,
        watermarked,
        alreadyMarked: result.watermarkPresent !== undefined,
      };
    },
  },
};

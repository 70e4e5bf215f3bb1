import { readFileSync } from 'node:fs';
import { bytesSource } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { analysisPcm } from '../../src/pcm/analysis.js';
import { promptTemplate, VOICE_INPUT_RATE } from '../../src/voice/detect.js';
import { type BuiltInVoicePrompt, VOICE_PROMPTS } from '../../src/voice/prompt.js';
import { PROMPT_TEMPLATES, unpackTemplate } from '../../src/voice/templates.js';

describe('the packed voice-prompt templates', () => {
  it.each(Object.keys(VOICE_PROMPTS) as BuiltInVoicePrompt[])(
    '%s matches the shipped clip (regenerate with make-voice-templates.mjs)',
    async (name) => {
      const parts: Float32Array[] = [];
      const bytes = new Uint8Array(readFileSync(VOICE_PROMPTS[name].path));
      for await (const part of analysisPcm({ source: bytesSource(bytes) }, VOICE_INPUT_RATE)) parts.push(part);
      const pcm = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let offset = 0;
      for (const p of parts) {
        pcm.set(p, offset);
        offset += p.length;
      }
      const expected = promptTemplate(pcm);
      const packed = PROMPT_TEMPLATES[name];
      const actual = unpackTemplate(packed);
      expect(actual.length).toBe(expected.length);
      let worst = 0;
      for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
      // Only the 16-bit rounding differs.
      expect(worst).toBeLessThanOrEqual(packed.scale / 2 + 1e-7);
      expect(actual.length / (VOICE_INPUT_RATE / 4)).toBeGreaterThan(2); // seconds of speech at the 2 kHz analysis rate
    },
  );
});

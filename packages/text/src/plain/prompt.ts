import type { BytesExplicitLabeler, ExplicitCapability } from '@aigc-label/core';
import { textPrompt } from '../explicit/capability.js';
import type { TextFlavour } from '../explicit/insert.js';
import { decodeText, requireUtf8 } from './encoding.js';

/**
 * The text prompt of a text format, refused on text that is not valid UTF-8 (a UTF-16 file, or
 * one with invalid bytes that `read` tolerates, issue 25): the prompt is spliced into UTF-8, which
 * would otherwise replace every byte it does not understand. The metadata label is refused there too.
 */
export function utf8TextPrompt(flavour: TextFlavour, format: string): ExplicitCapability {
  const capability = textPrompt(flavour);
  const labeler = capability.labeler as BytesExplicitLabeler;
  return {
    ...capability,
    labeler: {
      input: 'bytes',
      apply: async (bytes, options) => {
        requireUtf8(decodeText(bytes, format), format);
        return labeler.apply(bytes, options);
      },
    },
  };
}

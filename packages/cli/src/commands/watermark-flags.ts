import { readFileSync } from 'node:fs';
import { UsageError } from '@aigc-label/core';

export const WATERMARK_LABEL_HELP =
  'also embed the invisible watermark (image, audio, text; video re-encodes every frame with the same codec family and bit rate target, other streams copied)';
export const WATERMARK_LABEL_OFF_HELP =
  'not even where the audio is re-encoded for the audible label anyway (there the mark is embedded by default, in the same encode)';
export const WATERMARK_DETECT_HELP =
  'look for invisible watermarks in every format (default: only text, and audio in the audible search; --no-watermark for none)';
export const WATERMARK_KEY_HELP = 'file holding the watermark key (default: the public key, which gives interoperability, not secrecy)';

/** A key file is short text; its bytes never appear in output. */
const MAX_KEY_FILE_BYTES = 4096;

/** The key in a key file: its text without one trailing line break. */
export function readWatermarkKey(path: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UsageError(`--watermark-key: cannot read the key file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (bytes.length > MAX_KEY_FILE_BYTES) throw new UsageError(`--watermark-key: the key file is over ${MAX_KEY_FILE_BYTES} bytes`);
  const key = new TextDecoder().decode(bytes).replace(/\r?\n$/, '');
  if (key.trim() === '') throw new UsageError('--watermark-key: the key file is empty');
  return key;
}

export interface WatermarkFlags {
  readonly watermark?: boolean;
  readonly watermarkKey?: string;
}

/** The library's watermark options from the flags (the key read once, here). */
export function watermarkOptions(flags: WatermarkFlags): { watermark?: boolean; watermarkKey?: string } {
  return {
    ...(flags.watermark === undefined ? {} : { watermark: flags.watermark }),
    ...(flags.watermarkKey === undefined ? {} : { watermarkKey: readWatermarkKey(flags.watermarkKey) }),
  };
}

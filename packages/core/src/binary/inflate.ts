import { Inflate, Unzlib } from 'fflate';
import { LimitExceededError, MalformedInputError } from '../errors.js';
import { concat } from './bytes.js';

/** Default cap on what one compressed field may expand to. */
export const maximumInflatedSizeInBytes = 64 * 1024 * 1024;

/**
 * Inflates zlib-wrapped (`zlib`, PNG zTXt/iTXt) or raw (`raw`, ZIP) deflate data,
 * stopping as soon as the output passes `maxOutputBytes`, so a compression bomb
 * costs at most that much memory.
 */
export function inflateCapped(
  data: Uint8Array,
  format: string,
  { wrapper = 'zlib', maxOutputBytes = maximumInflatedSizeInBytes }: { wrapper?: 'zlib' | 'raw'; maxOutputBytes?: number } = {},
): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  let finished = false;
  const onData = (chunk: Uint8Array, final: boolean) => {
    total += chunk.length;
    if (total > maxOutputBytes) throw new LimitExceededError(`${format}: compressed data expands past ${maxOutputBytes} bytes`);
    parts.push(chunk);
    if (final) finished = true;
  };
  const inflater = wrapper === 'zlib' ? new Unzlib(onData) : new Inflate(onData);
  const step = 64 * 1024;
  try {
    for (let i = 0; i < data.length; i += step) inflater.push(data.subarray(i, i + step), i + step >= data.length);
    if (data.length === 0) inflater.push(data, true);
  } catch (error) {
    if (error instanceof LimitExceededError) throw error;
    throw new MalformedInputError(format, `compressed data is damaged (${(error as Error).message})`);
  }
  if (!finished) throw new MalformedInputError(format, 'compressed data is truncated');
  return concat(parts);
}

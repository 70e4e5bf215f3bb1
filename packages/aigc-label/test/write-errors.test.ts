import { describe, expect, it } from 'vitest';
import { FileError, outputError } from '../src/file-io.js';

// Issue 24 item 10: each of these file-system failures becomes one toolkit line that names the
// output, says what happened and that the input is unchanged.
const CODES = ['ENOSPC', 'EDQUOT', 'EFBIG', 'EACCES', 'EROFS', 'EXDEV', 'ENAMETOOLONG'];

describe('outputError', () => {
  it.each(CODES)('turns %s into one line naming the output and keeping the input', (code) => {
    const failure = Object.assign(new Error(`${code}: raw message from the system`), { code });
    const error = outputError('/data/out/song.labeled.mp3', failure);
    expect(error).toBeInstanceOf(FileError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain('/data/out/song.labeled.mp3');
    expect(message).toContain(code);
    expect(message).toMatch(/input is unchanged/);
    expect(message).not.toContain('raw message from the system');
  });

  it('passes other errors through unchanged', () => {
    const failure = new TypeError('a bug');
    expect(outputError('/x', failure)).toBe(failure);
  });
});

/** ExifTool as the third-party oracle of what a labelled image's metadata became. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Tags about the file system or about where the coded pixels sit, which a re-encode moves by nature. */
const PLACEMENT_TAGS = [
  'FileName',
  'Directory',
  'FileSize',
  'FileModifyDate',
  'FileAccessDate',
  'FileInodeChangeDate',
  'FilePermissions',
  'MediaDataSize',
  'MediaDataOffset',
  'MediaData',
  'MPImageStart',
  'MPImageLength',
  // TIFF: where the first page's strips or tiles now are, and their sizes.
  'StripOffsets',
  'StripByteCounts',
  'TileOffsets',
  'TileByteCounts',
];

/** Every tag ExifTool reads (`-G1 -a -s`, one line each, duplicates included), minus placement tags and `extraExcluded`. */
export function exiftoolTags(bytes: Uint8Array, extension: string, extraExcluded: readonly string[] = []): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'aigc-exiftool-'));
  try {
    const file = join(dir, `image.${extension}`);
    writeFileSync(file, bytes);
    const exclude = [...PLACEMENT_TAGS, ...extraExcluded].flatMap((tag) => ['-x', tag]);
    return execFileSync('/usr/bin/exiftool', ['-G1', '-a', '-s', '-u', ...exclude, file], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.replace(/\s+:\s/, ' : ').trimEnd())
      .filter((line) => line !== '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs ExifTool with `args` on a file holding `bytes` (written, then removed) and returns its stdout as bytes. */
export function exiftoolOn(bytes: Uint8Array, extension: string, args: readonly string[]): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'aigc-exiftool-'));
  try {
    const file = join(dir, `image.${extension}`);
    writeFileSync(file, bytes);
    return new Uint8Array(execFileSync('/usr/bin/exiftool', [...args, file]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes tags with ExifTool (`-Tag=value` arguments) and returns the edited bytes. */
export function exiftoolWrite(bytes: Uint8Array, extension: string, args: readonly string[]): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'aigc-exiftool-'));
  try {
    const file = join(dir, `image.${extension}`);
    writeFileSync(file, bytes);
    execFileSync('/usr/bin/exiftool', ['-q', '-overwrite_original', ...args, file]);
    return new Uint8Array(readFileSync(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

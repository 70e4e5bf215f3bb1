import { createRequire } from 'node:module';
import { ascii, utf8 } from '@aigc-label/core';
import type Piexif from 'piexifjs';
import { TiffTag } from './tiff-ifd.js';

// Loaded on first use: only the optional EXIF UserComment carrier needs it.
const require = createRequire(import.meta.url);

/** EXIF 2.3 §4.6.5: the character code that prefixes a UserComment value. */
const ASCII_CODE = 'ASCII\0\0\0';

const toBinaryString = (bytes: Uint8Array): string => {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
};

export interface ExifChange {
  /** The wrapped JSON to store in UserComment, or null to remove a UserComment label. */
  readonly userComment: string | null;
  /** Remove an ImageDescription that holds a label (the label moves to XMP). */
  readonly dropImageDescription: boolean;
}

/**
 * Rewrites an EXIF block ("Exif\0\0" + TIFF, as in a JPEG APP1 payload) with
 * piexifjs, or makes a new one when `existing` is null. Only the UserComment and ImageDescription tags
 * change; orientation and the other tags piexifjs knows are kept.
 */
export function rewriteExifPayload(existing: Uint8Array | null, change: ExifChange): Uint8Array {
  const piexif = require('piexifjs') as typeof Piexif;
  // piexifjs 1.0.6 types UserComment as ASCII; EXIF says UNDEFINED (toolchain notes §3).
  piexif.TAGS.Exif[TiffTag.userComment].type = 'Undefined';
  const dict = existing ? piexif.load(toBinaryString(existing)) : { '0th': {}, Exif: {}, GPS: {}, Interop: {}, '1st': {}, thumbnail: null };
  if (change.userComment === null) delete dict.Exif[TiffTag.userComment];
  else dict.Exif[TiffTag.userComment] = ASCII_CODE + toBinaryString(utf8(change.userComment));
  if (change.dropImageDescription) delete dict['0th'][TiffTag.imageDescription];
  return ascii(piexif.dump(dict));
}

/**
 * Text/background separation before OCR. Tesseract binarises what it is given with one global
 * threshold and expects dark text on a light ground; labels drawn as light text on a dark ground,
 * or as white captions with a thin dark halo over a busy picture, defeat that. These planes turn
 * such text into dark text on white for a second and third reading. Pure pixel functions on
 * interleaved RGB (3 channels), no I/O.
 */

/** Rec. 601 luma of each RGB pixel. */
export function luma(rgb: Uint8Array, pixels: number): Uint8Array {
  const grey = new Uint8Array(pixels);
  for (let i = 0, j = 0; i < pixels; i++, j += 3) grey[i] = (rgb[j] * 299 + rgb[j + 1] * 587 + rgb[j + 2] * 114) / 1000;
  return grey;
}

/** Inverted luma: light text on a dark ground becomes dark text on a light one. */
export function invertedLuma(rgb: Uint8Array, pixels: number): Uint8Array {
  const grey = luma(rgb, pixels);
  for (let i = 0; i < pixels; i++) grey[i] = 255 - grey[i];
  return grey;
}

/** Below this smallest channel a pixel is not white text (JPEG and scaling blur the glyph edges). */
export const WHITE_TEXT_MIN = 200;
/** Above this largest channel a pixel is not black text. */
export const BLACK_TEXT_MAX = 55;

/**
 * Colour key: pixels whose every channel is near white (`'white'`) or near black (`'black'`)
 * become black ink, everything else white paper. Captions and label text are nearly always drawn
 * pure white or pure black; on a busy picture few other pixels are, so this separates the text
 * from the picture where luma thresholds cannot. Run it on denoised pixels (a 3×3 median), since
 * isolated noise pixels would otherwise read as specks of ink.
 */
export function colourKey(rgb: Uint8Array, pixels: number, ink: 'white' | 'black'): Uint8Array {
  const plane = new Uint8Array(pixels);
  for (let i = 0, j = 0; i < pixels; i++, j += 3) {
    const hit =
      ink === 'white'
        ? Math.min(rgb[j], rgb[j + 1], rgb[j + 2]) >= WHITE_TEXT_MIN
        : Math.max(rgb[j], rgb[j + 1], rgb[j + 2]) <= BLACK_TEXT_MAX;
    plane[i] = hit ? 0 : 255;
  }
  return plane;
}

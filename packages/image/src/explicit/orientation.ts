/**
 * EXIF Orientation (TIFF/EP tag 274): the label is placed in displayed coordinates and drawn into
 * the stored pixels, so the stored orientation and its tag stay untouched.
 */

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Orientations 5-8 swap width and height on display. */
export const swapsAxes = (orientation: number): boolean => orientation >= 5 && orientation <= 8;

/** Maps a displayed point to the stored image (stored size `storedWidth` × `storedHeight`). */
function toStored(orientation: number, u: number, v: number, storedWidth: number, storedHeight: number): [number, number] {
  switch (orientation) {
    case 2:
      return [storedWidth - u, v];
    case 3:
      return [storedWidth - u, storedHeight - v];
    case 4:
      return [u, storedHeight - v];
    case 5:
      return [v, u];
    case 6:
      return [v, storedHeight - u];
    case 7:
      return [storedWidth - v, storedHeight - u];
    case 8:
      return [storedWidth - v, u];
    default:
      return [u, v];
  }
}

/** The stored-pixel rectangle that shows as `rect` on display. */
export function displayedRectToStored(orientation: number, rect: Rect, storedWidth: number, storedHeight: number): Rect {
  const [x1, y1] = toStored(orientation, rect.x, rect.y, storedWidth, storedHeight);
  const [x2, y2] = toStored(orientation, rect.x + rect.width, rect.y + rect.height, storedWidth, storedHeight);
  return { x: Math.min(x1, x2), y: Math.min(y1, y2), width: Math.abs(x2 - x1), height: Math.abs(y2 - y1) };
}

/**
 * SVG `matrix(a b c d e f)` that turns a tile drawn upright (`width` × `height` as displayed)
 * into the stored orientation; the same point mapping as {@link displayedRectToStored}.
 */
export function storedTileTransform(orientation: number, width: number, height: number): string {
  const m: Record<number, readonly number[]> = {
    2: [-1, 0, 0, 1, width, 0],
    3: [-1, 0, 0, -1, width, height],
    4: [1, 0, 0, -1, 0, height],
    5: [0, 1, 1, 0, 0, 0],
    6: [0, -1, 1, 0, 0, width],
    7: [0, -1, -1, 0, height, width],
    8: [0, 1, -1, 0, height, 0],
  };
  return `matrix(${(m[orientation] ?? [1, 0, 0, 1, 0, 0]).join(' ')})`;
}

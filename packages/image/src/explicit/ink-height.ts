/**
 * Ink height of a text row, px, measured on the pixels: Tesseract's line boxes may take in a
 * backing plate or stray marks. Inside the row box (less 10% at each side, where plate corners
 * are), pixels are split into two classes by Otsu's threshold; the smaller class is the text. The
 * height is the run of rows holding text pixels around the fullest row, stopping at a gap of
 * more than 2 rows (the plate's padding or the space between lines).
 */
export function measuredInkHeight(pixels: Uint8Array, width: number, box: { x0: number; y0: number; x1: number; y1: number }): number {
  const inset = Math.round((box.x1 - box.x0) * 0.1);
  const [left, right] = [Math.max(0, box.x0 + inset), Math.min(width, box.x1 - inset)];
  const [top, bottom] = [Math.max(0, box.y0), Math.min(pixels.length / (3 * width), box.y1)];
  if (right - left < 2 || bottom - top < 2) return box.y1 - box.y0;
  const grey = (x: number, y: number) => {
    const i = (y * width + x) * 3;
    return (pixels[i] * 299 + pixels[i + 1] * 587 + pixels[i + 2] * 114) / 1000;
  };
  const histogram = new Array<number>(256).fill(0);
  for (let y = top; y < bottom; y++) for (let x = left; x < right; x++) histogram[Math.round(grey(x, y))]++;
  const total = (right - left) * (bottom - top);
  const threshold = otsu(histogram, total);
  const below = histogram.slice(0, threshold + 1).reduce((a, b) => a + b, 0);
  const textIsDark = below <= total - below;
  const counts: number[] = [];
  for (let y = top; y < bottom; y++) {
    let n = 0;
    for (let x = left; x < right; x++) if (grey(x, y) <= threshold === textIsDark) n++;
    counts.push(n);
  }
  const minimum = Math.max(2, (right - left) * 0.02);
  const middle = counts.slice(Math.floor(counts.length / 4), Math.ceil((3 * counts.length) / 4));
  const start = Math.floor(counts.length / 4) + middle.indexOf(Math.max(...middle));
  const extend = (step: number) => {
    let edge = start;
    for (let y = start, gap = 0; y >= 0 && y < counts.length && gap <= 2; y += step) {
      if (counts[y] >= minimum) {
        edge = y;
        gap = 0;
      } else gap++;
    }
    return edge;
  };
  return extend(1) - extend(-1) + 1;
}

/** Otsu's threshold of a grey-level histogram. */
function otsu(histogram: readonly number[], total: number): number {
  const sum = histogram.reduce((acc, n, v) => acc + n * v, 0);
  let [sumBelow, countBelow, best, threshold] = [0, 0, -1, 127];
  for (let v = 0; v < 256; v++) {
    countBelow += histogram[v];
    sumBelow += v * histogram[v];
    const countAbove = total - countBelow;
    if (countBelow === 0 || countAbove === 0) continue;
    const between = countBelow * countAbove * (sumBelow / countBelow - (sum - sumBelow) / countAbove) ** 2;
    if (between > best) [best, threshold] = [between, v];
  }
  return threshold;
}

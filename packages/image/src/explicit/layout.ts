import { InvalidLabelError } from '@aigc-label/core';
import type { Font } from 'opentype.js';
import type { LabelContrast } from './contrast.js';
import { storedTileTransform, swapsAxes } from './orientation.js';

/** The label tile laid out upright, in displayed pixels. */
export interface TileLayout {
  readonly width: number;
  readonly height: number;
  /** Ink height of the shortest line, px: the measured text height GB 45438 §5.2 e) speaks of. */
  readonly inkHeight: number;
  /** SVG path data of each line, already placed inside the tile. */
  readonly paths: readonly string[];
}

// Measured at a large size so the bounding boxes are precise, then scaled linearly.
const MEASURE_SIZE = 1000;

/**
 * Lays out `lines` one below the other, each sized so that the ink (the bounding box of its glyph
 * outlines, not the em box) is exactly `inkHeight` px tall, the top of every line's ink on a whole
 * pixel so anti-aliasing does not shave the first row.
 */
export function layoutTile(font: Font, lines: readonly string[], inkHeight: number): TileLayout {
  for (const line of lines) {
    for (const char of line.replace(/\s/g, '')) {
      if (!font.hasChar(char)) throw new InvalidLabelError(`the label font has no glyph for "${char}"`);
    }
  }
  const measured = lines.map((text) => {
    const box = font.getPath(text, 0, 0, MEASURE_SIZE).getBoundingBox();
    const size = (inkHeight / (box.y2 - box.y1)) * MEASURE_SIZE;
    const scale = size / MEASURE_SIZE;
    return { text, size, left: box.x1 * scale, top: box.y1 * scale, width: (box.x2 - box.x1) * scale };
  });
  const padding = Math.max(2, Math.round(inkHeight * 0.3));
  const gap = Math.round(inkHeight * 0.3);
  const contentWidth = Math.ceil(Math.max(...measured.map((m) => m.width)));
  const paths = measured.map((m, i) => {
    const top = padding + i * (inkHeight + gap);
    const x = padding + (contentWidth - m.width) / 2 - m.left;
    return font.getPath(m.text, x, top - m.top, m.size).toPathData(2);
  });
  return {
    width: contentWidth + 2 * padding,
    height: lines.length * inkHeight + (lines.length - 1) * gap + 2 * padding,
    inkHeight,
    paths,
  };
}

/** SVG of the tile turned into the stored orientation; 1 SVG unit = 1 px at sharp's default 72 dpi. */
export function tileSvg(tile: TileLayout, colours: LabelContrast, orientation: number): string {
  const [width, height] = swapsAxes(orientation) ? [tile.height, tile.width] : [tile.width, tile.height];
  const radius = Math.round(Math.min(tile.width, tile.height) * 0.12);
  const paths = tile.paths.map((d) => `<path d="${d}" fill="${colours.text}"/>`).join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<g transform="${storedTileTransform(orientation, tile.width, tile.height)}">` +
    `<rect width="${tile.width}" height="${tile.height}" rx="${radius}" fill="${colours.plate}" fill-opacity="${colours.plateOpacity}"/>` +
    `${paths}</g></svg>`
  );
}

import { InvalidLabelError } from '@aigc-label/core';
import type { Font, PathCommand } from 'opentype.js';
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

interface TextOutline {
  /** SVG path data. */
  readonly d: string;
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

const fixed = (n: number): string => n.toFixed(2);

/**
 * SVG path data of opentype.js path commands. Not `Path.toPathData`: in opentype.js 2.0 it prints
 * NaN for coordinates such as 118.00000000000001 (a CJK glyph after "AI"), and librsvg then drops
 * the rest of the path.
 */
function pathData(commands: readonly PathCommand[]): string {
  return commands
    .map((c) => {
      switch (c.type) {
        case 'M':
        case 'L':
          return `${c.type}${fixed(c.x)} ${fixed(c.y)}`;
        case 'Q':
          return `Q${fixed(c.x1)} ${fixed(c.y1)} ${fixed(c.x)} ${fixed(c.y)}`;
        case 'C':
          return `C${fixed(c.x1)} ${fixed(c.y1)} ${fixed(c.x2)} ${fixed(c.y2)} ${fixed(c.x)} ${fixed(c.y)}`;
        default:
          return 'Z';
      }
    })
    .join('');
}

/** Outlines of `text` with its baseline origin at (x, y), and their bounding box. */
function textOutline(font: Font, text: string, x: number, y: number, size: number): TextOutline {
  const path = font.getPath(text, x, y, size);
  const box = path.getBoundingBox();
  const d = pathData(path.commands);
  if (path.commands.length === 0 || !Number.isFinite(box.y2 - box.y1))
    throw new InvalidLabelError(`the label font cannot outline "${text}"`);
  return { d, x1: box.x1, y1: box.y1, x2: box.x2, y2: box.y2 };
}

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
    const box = textOutline(font, text, 0, 0, MEASURE_SIZE);
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
    return textOutline(font, m.text, x, top - m.top, m.size).d;
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

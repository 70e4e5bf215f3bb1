import {
  AigcLabelError,
  checkWording,
  type Finding,
  finding,
  InvalidLabelError,
  LimitExceededError,
  MalformedInputError,
  UnsupportedFormatError,
} from '@aigc-label/core';
import type { Metadata } from 'sharp';
import { choosePlate, type LabelContrast, type RegionPixels } from './contrast.js';
import { labelFont } from './font.js';
import { layoutTile, type TileLayout, tileSvg } from './layout.js';
import {
  ANTIALIAS_ALLOWANCE_PX,
  DEFAULT_MARGIN_RATIO,
  DEFAULT_PIXEL_LIMIT,
  DEFAULT_POSITION,
  DEFAULT_WORDING,
  ENGLISH_LINE,
  type LabelBox,
  MIN_LEGIBLE_INK_PX,
  MIN_TEXT_HEIGHT_RATIO,
  type VisibleLabelOptions,
} from './options.js';
import { displayedRectToStored, swapsAxes } from './orientation.js';
import { decodeFrames, openAnimation, writeAnimation } from './reencode/animation.js';
import { type Reencoded, reencodeLike } from './reencode/index.js';
import { sharp } from './sharp.js';

export interface VisibleLabelResult {
  /** The labeled image, same format as the input, metadata kept. */
  readonly bytes: Uint8Array;
  /** sharp's name of the format written: jpeg, png, webp, gif, tiff or heif. */
  readonly format: string;
  readonly box: LabelBox;
  readonly contrast: LabelContrast;
  readonly findings: readonly Finding[];
}

export interface LabelPngResult {
  /** A transparent PNG of the frame size with only the label drawn. */
  readonly png: Uint8Array;
  readonly box: LabelBox;
  /** Contrast against the least favourable backdrop (pure white or pure black) the overlay may land on. */
  readonly contrast: LabelContrast;
  readonly findings: readonly Finding[];
}

interface LabelPlan {
  readonly tile: TileLayout;
  readonly box: LabelBox;
  readonly findings: readonly Finding[];
}

/** The label lines from the options, refused unless together they carry both elements (GB 45438 §5.2 b)). */
function labelLines(options: VisibleLabelOptions): string[] {
  const wording = options.text === undefined ? [...DEFAULT_WORDING] : typeof options.text === 'string' ? [options.text] : [...options.text];
  const lines = wording.map((line) => line.trim()).filter((line) => line !== '');
  const check = checkWording(lines.join(' '));
  if (!check.ok) {
    const missing = check.aiElement === null ? 'an AI element (人工智能 or AI)' : 'a generation element (生成 or 合成)';
    throw new InvalidLabelError(`label wording "${lines.join(' ')}" lacks ${missing} (GB 45438 §5.2 b))`);
  }
  return options.bilingual ? [...lines, ENGLISH_LINE] : lines;
}

/**
 * Sizes and places the label in a `width` × `height` displayed frame. The ink is at least 5% of
 * the shortest side (GB 45438 §5.2 e)); when that cannot fit, it refuses unless `allowNoncompliant`.
 */
function planLabel(width: number, height: number, options: VisibleLabelOptions): LabelPlan {
  const lines = labelLines(options);
  const findings: Finding[] = [];
  const allowNoncompliant = options.allowNoncompliant === true;
  const ratio = options.textHeightRatio ?? MIN_TEXT_HEIGHT_RATIO;
  if (!(ratio > 0 && ratio <= 0.5)) throw new InvalidLabelError(`textHeightRatio must be in (0, 0.5], got ${ratio}`);
  if (ratio < MIN_TEXT_HEIGHT_RATIO && !allowNoncompliant) {
    throw new InvalidLabelError(
      `textHeightRatio ${ratio} is below the 5% minimum of GB 45438 §5.2 e); pass allowNoncompliant to draw it anyway`,
    );
  }
  const marginRatio = options.marginRatio ?? DEFAULT_MARGIN_RATIO;
  if (!(marginRatio >= 0 && marginRatio < 0.5)) throw new InvalidLabelError(`marginRatio must be in [0, 0.5), got ${marginRatio}`);
  const shortest = Math.min(width, height);
  const margin = Math.round(marginRatio * shortest);
  const font = labelFont();
  let inkHeight = Math.max(Math.ceil(ratio * shortest) + ANTIALIAS_ALLOWANCE_PX, MIN_LEGIBLE_INK_PX);
  let tile = layoutTile(font, lines, inkHeight);
  const fits = (t: TileLayout) => t.width + 2 * margin <= width && t.height + 2 * margin <= height;
  if (!fits(tile)) {
    if (!allowNoncompliant) {
      throw new InvalidLabelError(
        `a ${width}×${height} image is too small for a compliant label: text ${inkHeight} px tall needs a ${tile.width}×${tile.height} px plate ` +
          `plus ${margin} px margins; use shorter wording or allowNoncompliant`,
      );
    }
    inkHeight = Math.floor(inkHeight * Math.min((width - 2 * margin) / tile.width, (height - 2 * margin) / tile.height));
    for (tile = layoutTile(font, lines, inkHeight); inkHeight >= 1 && !fits(tile); tile = layoutTile(font, lines, inkHeight)) inkHeight--;
    if (inkHeight < 1) throw new InvalidLabelError(`a ${width}×${height} image has no room for the label "${lines.join(' ')}"`);
    findings.push(
      finding('gb45438/5.2e-noncompliant-fit', 'warning', `label shrunk to ${inkHeight} px text to fit a ${width}×${height} image`),
    );
  }
  if (inkHeight < MIN_TEXT_HEIGHT_RATIO * shortest) {
    findings.push(
      finding(
        'gb45438/5.2e-text-height',
        'error',
        `label text is ${inkHeight} px tall, ${((100 * inkHeight) / shortest).toFixed(1)}% of the shortest side; GB 45438 §5.2 e) requires ≥ 5%`,
      ),
    );
  }
  const position = options.position ?? DEFAULT_POSITION;
  const [horizontal, vertical] = [position.split('-')[1], position.split('-')[0]];
  const x = horizontal === 'left' ? margin : horizontal === 'right' ? width - margin - tile.width : Math.round((width - tile.width) / 2);
  const y = vertical === 'top' ? margin : vertical === 'bottom' ? height - margin - tile.height : Math.round((height - tile.height) / 2);
  const box: LabelBox = { position, x, y, width: tile.width, height: tile.height, inkHeight, ratio: inkHeight / shortest };
  return { tile, box, findings };
}

/** The tile as a PNG: librsvg draws the outlines, so no font lookup happens at all. */
const rasteriseTile = (svg: string) => sharp(new TextEncoder().encode(svg)).png({ compressionLevel: 0 }).toBuffer();

/** Maps sharp's failure messages onto the shared error classes. */
export function imageError(error: unknown, format: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return new LimitExceededError(`${format}: ${message}`);
  if (/unsupported image format/i.test(message)) return new UnsupportedFormatError('unsupported or unrecognised image data');
  return new MalformedInputError(format, message.split('\n')[0]);
}

export async function readMetadata(bytes: Uint8Array, limitInputPixels: number): Promise<Metadata> {
  try {
    return await sharp(bytes, { animated: true, limitInputPixels }).metadata();
  } catch (error) {
    throw imageError(error, 'image');
  }
}

/**
 * Draws a compliant visible label (GB 45438 §5.2) on an image and returns the new bytes in the
 * same format with EXIF, ICC and XMP kept. Every frame of an animated GIF or WebP is labeled.
 * The input is never modified. Write the implicit (metadata) label afterwards.
 */
export async function applyVisibleLabel(bytes: Uint8Array, options: VisibleLabelOptions = {}): Promise<VisibleLabelResult> {
  const limitInputPixels = options.limitInputPixels ?? DEFAULT_PIXEL_LIMIT;
  const meta = await readMetadata(bytes, limitInputPixels);
  const format = meta.format ?? 'image';
  const storedWidth = meta.width ?? 0;
  const animation = await openAnimation(meta, bytes);
  if (animation?.kind === 'apng') {
    // Checked before the frames are composed, which needs their pixels in memory.
    const { png, frames, separateDefault } = animation.apng;
    const count = frames.length + (separateDefault ? 1 : 0);
    if (png.header.width * png.header.height * count > limitInputPixels)
      throw new LimitExceededError(`png: ${png.header.width}×${png.header.height}×${count} pixels exceed the limit of ${limitInputPixels}`);
  }
  const decoded = await decodeFrames(animation);
  const pageHeight = decoded?.height ?? meta.pageHeight ?? meta.height ?? 0;
  const pages = decoded?.count ?? (animation ? (meta.pages ?? 1) : 1);
  const sixteen = decoded?.sixteen ?? false;
  if (storedWidth === 0 || pageHeight === 0) throw new MalformedInputError(format, 'image has no pixels');
  if (storedWidth * pageHeight * pages > limitInputPixels) {
    throw new LimitExceededError(`${format}: ${storedWidth}×${pageHeight}×${pages} pixels exceed the limit of ${limitInputPixels}`);
  }
  const orientation = meta.orientation ?? 1;
  const [width, height] = swapsAxes(orientation) ? [pageHeight, storedWidth] : [storedWidth, pageHeight];
  const plan = planLabel(width, height, options);
  const stored = displayedRectToStored(orientation, plan.box, storedWidth, pageHeight);
  // Every frame of an animation, stacked: as sharp decodes it, or as composed here (APNG).
  const input = () =>
    decoded
      ? sharp(decoded.data, { raw: { width: storedWidth, height: pageHeight * pages, channels: 4 }, limitInputPixels })
      : sharp(bytes, { animated: animation !== null, limitInputPixels });
  try {
    // sharp extracts the same area from every frame and stacks them: each is the backdrop of its copy of the label.
    const backdrops = await input()
      .extract({ left: stored.x, top: stored.y, width: stored.width, height: stored.height })
      .toColourspace('srgb')
      .ensureAlpha()
      .raw()
      .toBuffer();
    const frameBytes = stored.width * stored.height * 4;
    const regions: RegionPixels[] = Array.from({ length: pages }, (_, page) => ({
      data: backdrops.subarray(page * frameBytes, (page + 1) * frameBytes),
      channels: 4,
    }));
    const contrast = choosePlate(regions);
    const tile = await rasteriseTile(tileSvg(plan.tile, contrast, orientation));
    const overlays = Array.from({ length: pages }, (_, page) => ({ input: tile, left: stored.x, top: page * pageHeight + stored.y }));
    const labelled = input().composite(overlays);
    let output: Reencoded;
    if (animation) {
      const raw = await labelled
        .ensureAlpha()
        .raw(sixteen ? { depth: 'ushort' } : {})
        .toBuffer();
      const data = sixteen
        ? new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2)
        : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
      output = await writeAnimation(animation, bytes, { data, width: storedWidth, height: pageHeight, count: pages }, stored);
    } else output = await reencodeLike(labelled, meta, bytes, options);
    return { bytes: output.bytes, format, box: plan.box, contrast, findings: [...plan.findings, ...output.findings] };
  } catch (error) {
    if (error instanceof AigcLabelError) throw error;
    throw imageError(error, format);
  }
}

/**
 * A transparent PNG of `width` × `height` with only the label drawn, for overlaying on video
 * frames (GB 45438 §5.4 f) applies the same 5% rule). The backdrop is unknown, so the plate is
 * chosen to keep ≥ 4.5:1 over both white and black.
 */
export async function renderLabelPng(width: number, height: number, options: VisibleLabelOptions = {}): Promise<LabelPngResult> {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new InvalidLabelError(`frame size must be positive whole pixels, got ${width}×${height}`);
  }
  const limit = options.limitInputPixels ?? DEFAULT_PIXEL_LIMIT;
  if (width * height > limit) throw new LimitExceededError(`${width}×${height} pixels exceed the limit of ${limit}`);
  const plan = planLabel(width, height, options);
  const extremes: RegionPixels = { data: Uint8Array.of(255, 255, 255, 255, 0, 0, 0, 255), channels: 4 };
  const contrast = choosePlate([extremes]);
  const tile = await rasteriseTile(tileSvg(plan.tile, contrast, 1));
  const output = await sharp({
    create: { width, height, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    limitInputPixels: limit,
  })
    .composite([{ input: tile, left: plan.box.x, top: plan.box.y }])
    .png()
    .toBuffer();
  return { png: new Uint8Array(output.buffer, output.byteOffset, output.byteLength), box: plan.box, contrast, findings: plan.findings };
}

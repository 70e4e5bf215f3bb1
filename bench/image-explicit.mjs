// Visible (explicit) image labels: the 5% ink rule measured on drawn pixels over sizes, aspect
// ratios, backgrounds and positions; OCR recall on the toolkit's own labels and on labels drawn
// by other means; false positives on unlabeled pictures; time per 1080p image.
// Run after `pnpm exec tsc -b packages/image`. BENCH_OCR_SCALE=0.5 halves the OCR sample counts.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyVisibleLabel, detectVisibleLabels, dispose, LABEL_POSITIONS } from '../packages/image/dist/index.js';

const requireFromImage = createRequire(new URL('../packages/image/package.json', import.meta.url));
const sharp = requireFromImage('sharp');
const fontDir = requireFromImage.resolve('@expo-google-fonts/noto-sans-sc/package.json').replace(/package\.json$/, '');
const ocrScale = Number(process.env.BENCH_OCR_SCALE ?? 1);
// BENCH_OCR_DUMP=dir writes every OCR sample (own-*, other-*, plain-*.jpg) and a manifest, to study misses offline.
const dumpDir = process.env.BENCH_OCR_DUMP;
const manifest = [];
if (dumpDir) mkdirSync(dumpDir, { recursive: true });
function dump(name, bytes, description, expected, detected) {
  if (!dumpDir) return;
  writeFileSync(join(dumpDir, name), bytes);
  manifest.push({ name, description, expected, detected });
}

let seed = 12345;
const random = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};

/** Flat light, flat dark, or busy (random colour blocks with noise) RGB pixels. */
function backdrop(width, height, kind) {
  const data = new Uint8Array(width * height * 3);
  if (kind !== 'busy') {
    const base =
      kind === 'light' ? [232 + random() * 20, 232 + random() * 20, 220 + random() * 30] : [random() * 40, random() * 40, random() * 50];
    for (let i = 0; i < data.length; i += 3) data.set(base, i);
    return data;
  }
  const block = Math.max(4, Math.round(Math.min(width, height) / (8 + random() * 24)));
  const columns = Math.ceil(width / block);
  const colours = Array.from({ length: columns * Math.ceil(height / block) }, () => [random() * 255, random() * 255, random() * 255]);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = colours[Math.floor(y / block) * columns + Math.floor(x / block)];
      const i = (y * width + x) * 3;
      const n = (random() - 0.5) * 30;
      data[i] = c[0] + n;
      data[i + 1] = c[1] + n;
      data[i + 2] = c[2] + n;
    }
  }
  return data;
}

/** Large pictures are made by libvips (flat colour, or a random block grid scaled up) to keep the bench quick. */
function image(width, height, kind) {
  if (width * height <= 4_000_000) return sharp(backdrop(width, height, kind), { raw: { width, height, channels: 3 } });
  if (kind !== 'busy') return sharp({ create: { width, height, channels: 3, background: kind === 'light' ? '#eef0e4' : '#101826' } });
  const [columns, rows] = [Math.ceil(width / 64), Math.ceil(height / 64)];
  const grid = Uint8Array.from({ length: columns * rows * 3 }, () => random() * 255);
  return sharp(grid, { raw: { width: columns, height: rows, channels: 3 } }).resize(width, height, { kernel: 'nearest', fit: 'fill' });
}
const u8 = (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const hexRgb = (hex) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));

/** Ink rows inside the drawn box: changed pixels that now carry the text colour (as in the unit tests). */
async function measuredInkHeight(input, output, box, textColour) {
  const region = { left: box.x, top: box.y, width: box.width, height: box.height };
  const before = await sharp(input).extract(region).removeAlpha().raw().toBuffer();
  const after = await sharp(output).extract(region).removeAlpha().raw().toBuffer();
  const text = hexRgb(textColour);
  let top = -1;
  let bottom = -1;
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      const i = (y * box.width + x) * 3;
      let near = true;
      let changed = false;
      for (let c = 0; c < 3; c++) {
        if (Math.abs(after[i + c] - text[c]) > 80) near = false;
        if (Math.abs(after[i + c] - before[i + c]) > 40) changed = true;
      }
      if (near && changed) {
        if (top < 0) top = y;
        bottom = y;
        break;
      }
    }
  }
  // Bilingual or multi-line labels: the first line alone is what must reach 5%; this measures the
  // whole text block, so the comparison below uses single-line labels only.
  return top < 0 ? 0 : bottom - top + 1;
}

const table = (rows) => {
  const widths = Object.keys(rows[0]).map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  console.log(line(Object.keys(rows[0])));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(Object.values(r)));
};

// 1. The 5% rule over 256-4096 px shorter sides and aspect 1:4..4:1; backgrounds and the eight
// positions cycle through the 25 combinations, so each appears at least three times.
const shorts = [256, 512, 1080, 2048, 4096];
const aspects = [0.25, 0.5, 1, 2, 4];
const kinds = ['light', 'dark', 'busy'];
let minRatio = Number.POSITIVE_INFINITY;
let minContrast = Number.POSITIVE_INFINITY;
let drawn = 0;
let worst = '';
const positionsSeen = new Set();
for (const short of shorts) {
  for (const aspect of aspects) {
    {
      const kind = kinds[drawn % kinds.length];
      const [width, height] = aspect >= 1 ? [Math.round(short * aspect), short] : [short, Math.round(short / aspect)];
      const position = LABEL_POSITIONS[drawn % LABEL_POSITIONS.length];
      positionsSeen.add(position);
      const input = u8(await image(width, height, kind).png({ compressionLevel: 1 }).toBuffer());
      const result = await applyVisibleLabel(input, { position });
      const ink = await measuredInkHeight(input, result.bytes, result.box, result.contrast.text);
      const ratio = ink / short;
      if (ratio < minRatio) {
        minRatio = ratio;
        worst = `${width}×${height} ${kind} ${position}`;
      }
      minContrast = Math.min(minContrast, result.contrast.ratio);
      drawn++;
      process.stderr.write('.');
    }
  }
}
process.stderr.write('\n');
console.log('5% rule, measured on drawn pixels');
table([
  {
    labels: drawn,
    positions: positionsSeen.size,
    'min ink ratio': `${(100 * minRatio).toFixed(2)}%`,
    'worst case': worst,
    'min contrast': minContrast.toFixed(2),
    target: '≥ 5%, ≥ 4.5:1',
    pass: minRatio >= 0.05 && minContrast >= 4.5 ? 'yes' : 'NO',
  },
]);

// 2. Drawing and OCR time per 1080p image.
const hd = await Promise.all(kinds.map(async (kind) => u8(await image(1920, 1080, kind).jpeg({ quality: 85 }).toBuffer())));
await applyVisibleLabel(hd[0]); // font parse
const drawTimes = [];
const labeledHd = [];
for (let i = 0; i < 9; i++) {
  const t = performance.now();
  const result = await applyVisibleLabel(hd[i % 3], { position: LABEL_POSITIONS[i % 8] });
  drawTimes.push(performance.now() - t);
  labeledHd.push(result.bytes);
}
await detectVisibleLabels(labeledHd[0]); // worker start-up
const ocrLabeledTimes = [];
for (const bytes of labeledHd) {
  const t = performance.now();
  await detectVisibleLabels(bytes);
  ocrLabeledTimes.push(performance.now() - t);
}
const ocrPlainTimes = [];
for (const bytes of hd) {
  const t = performance.now();
  await detectVisibleLabels(bytes);
  ocrPlainTimes.push(performance.now() - t);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 3. OCR recall on the toolkit's own labels.
const ocrShorts = [256, 480, 720, 1080, 1600];
const ocrAspects = [0.25, 0.5, 1, 1.78, 4];
const wordings = [undefined, '本内容由人工智能生成', 'AI生成', '由AI合成', '人工智能生成合成'];
async function recall(name, count, make) {
  let found = 0;
  const misses = [];
  // Hits per condition (background, style, size...), so the misses show where recall is lost.
  const conditions = new Map();
  for (let i = 0; i < count; i++) {
    const { bytes, description, groups } = await make(i);
    const { labels } = await detectVisibleLabels(bytes);
    const hit = labels.length > 0;
    if (hit) found++;
    else misses.push(description);
    for (const group of groups) {
      const tally = conditions.get(group) ?? { condition: group, images: 0, detected: 0 };
      tally.images++;
      if (hit) tally.detected++;
      conditions.set(group, tally);
    }
    dump(`${name}-${String(i).padStart(3, '0')}.jpg`, bytes, description, true, hit);
    process.stderr.write(hit ? '+' : '-');
  }
  const breakdown = [...conditions.values()]
    .sort((a, b) => a.condition.localeCompare(b.condition))
    .map((t) => ({ ...t, rate: `${((100 * t.detected) / t.images).toFixed(1)}%` }));
  return { found, misses, breakdown };
}
const ownCount = Math.round(80 * ocrScale);
const own = await recall('own', ownCount, async (i) => {
  const short = ocrShorts[i % ocrShorts.length];
  const aspect = ocrAspects[Math.floor(i / 5) % ocrAspects.length];
  const [width, height] = aspect >= 1 ? [Math.round(short * aspect), short] : [short, Math.round(short / aspect)];
  const kind = kinds[i % 3];
  const position = LABEL_POSITIONS[i % 8];
  const text = wordings[Math.floor(i / 3) % wordings.length];
  const input = u8(await image(width, height, kind).jpeg({ quality: 90 }).toBuffer());
  const result = await applyVisibleLabel(input, { position, text, bilingual: i % 7 === 0 });
  return {
    bytes: result.bytes,
    description: `${width}×${height} ${kind} ${position} ${text ?? 'default'}`,
    groups: [`background ${kind}`, `short side ${short}`, `wording ${text ?? 'default'}`],
  };
});

// 3b. Own labels on a photograph with fine gilded texture under the plate (issue 14: python-docx's
// court-exif.jpg, whose label OCR missed), as labelled and after a platform rescales and recompresses it.
const photo = readFileSync(new URL('./fixtures/court-exif.jpg', import.meta.url));
const photoVariants = [
  { scale: 1, quality: 0 },
  { scale: 0.8, quality: 75 },
  { scale: 1.3, quality: 80 },
  { scale: 0.64, quality: 70 },
];
const photoCount = Math.round(32 * ocrScale);
const photographs = await recall('photo', photoCount, async (i) => {
  const variant = photoVariants[Math.floor(i / 8) % photoVariants.length];
  const position = LABEL_POSITIONS[i % 8];
  const source =
    variant.scale === 1
      ? u8(photo)
      : u8(
          await sharp(photo)
            .resize(Math.round(500 * variant.scale))
            .jpeg({ quality: 90 })
            .toBuffer(),
        );
  const result = await applyVisibleLabel(source, { position, bilingual: i % 2 === 1 });
  const bytes = variant.quality ? u8(await sharp(result.bytes).jpeg({ quality: variant.quality }).toBuffer()) : result.bytes;
  const how = variant.quality ? `scaled ×${variant.scale}, recompressed at q${variant.quality}` : 'as labelled';
  return { bytes, description: `court-exif.jpg ${how} ${position}`, groups: [`photograph ${how}`] };
});

// 4. OCR recall on labels drawn differently: Pango text (DejaVu for Latin, Noto Sans SC Bold or
// Light for Hanzi, as fonts a platform might use), other colours, sizes 5-10%, no backing plate.
const otherWordings = ['AI生成', '由AI合成', '人工智能生成', '本内容由AI生成', 'AI合成', '人工智能合成'];
const styles = [
  { fontfile: '700Bold/NotoSansSC_700Bold.ttf', family: 'DejaVu Sans, Noto Sans SC Bold', fill: '#ff3030', stroke: false },
  { fontfile: '300Light/NotoSansSC_300Light.ttf', family: 'DejaVu Serif, Noto Sans SC Light', fill: '#ffffff', stroke: true },
  { fontfile: '700Bold/NotoSansSC_700Bold.ttf', family: 'DejaVu Sans Mono, Noto Sans SC Bold', fill: '#ffe000', stroke: true },
  { fontfile: '300Light/NotoSansSC_300Light.ttf', family: 'DejaVu Sans, Noto Sans SC Light', fill: '#1040c0', stroke: false },
];
const otherCount = Math.round(60 * ocrScale);
const other = await recall('other', otherCount, async (i) => {
  const short = [480, 720, 1080][i % 3];
  const aspect = [1, 1.78, 0.5, 2.5][Math.floor(i / 3) % 4];
  const [width, height] = aspect >= 1 ? [Math.round(short * aspect), short] : [short, Math.round(short / aspect)];
  const style = styles[i % styles.length];
  const light = style.fill === '#ff3030' || style.fill === '#1040c0';
  // Text without a plate needs a backdrop it contrasts with; busy ones get the outlined styles.
  const kind = style.stroke ? (i % 2 ? 'busy' : 'dark') : light ? 'light' : 'dark';
  const text = otherWordings[i % otherWordings.length];
  const px = Math.round(short * (0.06 + 0.04 * random()));
  const markup = `<span foreground="${style.fill}">${text}</span>`;
  const glyphs = await sharp({
    text: { text: markup, font: `${style.family} ${px}px`, fontfile: fontDir + style.fontfile, rgba: true, dpi: 72 },
  })
    .png()
    .toBuffer();
  const layers = [];
  if (style.stroke) {
    // A dark halo, as captions are often drawn.
    const halo = await sharp(glyphs)
      .ensureAlpha()
      .extractChannel(3)
      .blur(Math.max(1, px / 12))
      .threshold(8)
      .toBuffer();
    const meta = await sharp(glyphs).metadata();
    const black = await sharp({ create: { width: meta.width, height: meta.height, channels: 3, background: '#000000' } })
      .joinChannel(halo)
      .png()
      .toBuffer();
    layers.push(black);
  }
  layers.push(glyphs);
  const meta = await sharp(glyphs).metadata();
  const margin = Math.round(short * 0.03);
  const position = LABEL_POSITIONS[i % 8];
  const [vertical, horizontal] = position.split('-');
  const left = horizontal === 'left' ? margin : horizontal === 'right' ? width - margin - meta.width : Math.round((width - meta.width) / 2);
  const top = vertical === 'top' ? margin : vertical === 'bottom' ? height - margin - meta.height : Math.round((height - meta.height) / 2);
  const bytes = u8(
    await image(width, height, kind)
      .composite(layers.map((input) => ({ input, left: Math.max(0, left), top: Math.max(0, top) })))
      .jpeg({ quality: 88 })
      .toBuffer(),
  );
  return {
    bytes,
    description: `${width}×${height} ${kind} ${position} "${text}" ${style.family} ${style.fill}`,
    groups: [`background ${kind}`, `style ${style.fill}${style.stroke ? ' halo' : ''}`, `short side ${short}`, `wording ${text}`],
  };
});

// 5. False positives: unlabeled pictures, 40% of them with unrelated captions, some of them
// hard negatives that carry one element only or both far apart.
const captions = [
  '今天天气很好',
  'Hello World 2025',
  '人工智能大会',
  'AI助手',
  '生成式设计大赛',
  '新品发布 合作共赢',
  '智能生活 美好未来',
  'SALE 50% OFF',
  '风景摄影作品',
  '合成器音乐节',
];
const plainCount = Math.max(100, Math.round(100 * ocrScale));
let falsePositives = 0;
const fpExamples = [];
for (let i = 0; i < plainCount; i++) {
  const short = [360, 720, 1080, 2048][i % 4];
  const aspect = [1, 1.78, 0.5, 3, 0.3][Math.floor(i / 4) % 5];
  const [width, height] = aspect >= 1 ? [Math.round(short * aspect), short] : [short, Math.round(short / aspect)];
  let picture = image(width, height, kinds[i % 3]);
  if (i % 5 < 2) {
    const caption = captions[i % captions.length];
    const second = captions[(i + 3) % captions.length];
    const px = Math.round(short * 0.07);
    const fill = i % 3 === 1 ? '#f0f0f0' : '#202020';
    const render = (text) =>
      sharp({
        text: {
          text: `<span foreground="${fill}">${text}</span>`,
          font: `DejaVu Sans, Noto Sans SC Bold ${px}px`,
          fontfile: `${fontDir}700Bold/NotoSansSC_700Bold.ttf`,
          rgba: true,
          dpi: 72,
        },
      })
        .png()
        .toBuffer();
    const [a, b] = await Promise.all([render(caption), render(second)]);
    const [ma, mb] = await Promise.all([sharp(a).metadata(), sharp(b).metadata()]);
    picture = picture.composite([
      { input: a, left: Math.max(0, Math.min(width - ma.width, Math.round(short * 0.04))), top: Math.round(short * 0.04) },
      {
        input: b,
        left: Math.max(0, width - mb.width - Math.round(short * 0.04)),
        top: Math.max(0, height - mb.height - Math.round(short * 0.04)),
      },
    ]);
  }
  const bytes = u8(await picture.jpeg({ quality: 88 }).toBuffer());
  const { labels } = await detectVisibleLabels(bytes);
  dump(
    `plain-${String(i).padStart(3, '0')}.jpg`,
    bytes,
    `${width}×${height} ${kinds[i % 3]}${i % 5 < 2 ? ' captions' : ''}`,
    false,
    labels.length > 0,
  );
  process.stderr.write(labels.length > 0 ? '!' : '.');
  if (labels.length > 0) {
    falsePositives++;
    if (fpExamples.length < 5) fpExamples.push(labels.map((l) => l.text).join(' / '));
  }
}
await dispose();

console.log('\nOCR detection (tesseract.js chi_sim, offline)');
table([
  {
    case: "toolkit's own labels",
    images: ownCount,
    detected: own.found,
    rate: `${((100 * own.found) / ownCount).toFixed(1)}%`,
    target: '≥ 99%',
    pass: own.found / ownCount >= 0.99 ? 'yes' : 'NO',
  },
  {
    case: "toolkit's own labels on a photograph (court-exif.jpg)",
    images: photoCount,
    detected: photographs.found,
    rate: `${((100 * photographs.found) / photoCount).toFixed(1)}%`,
    target: '≥ 99%',
    pass: photographs.found / photoCount >= 0.99 ? 'yes' : 'NO',
  },
  {
    case: 'labels drawn differently',
    images: otherCount,
    detected: other.found,
    rate: `${((100 * other.found) / otherCount).toFixed(1)}%`,
    target: '≥ 90%',
    pass: other.found / otherCount >= 0.9 ? 'yes' : 'NO',
  },
  {
    case: 'unlabeled (40% with captions)',
    images: plainCount,
    detected: falsePositives,
    rate: `${((100 * falsePositives) / plainCount).toFixed(1)}%`,
    target: '0 false positives',
    pass: falsePositives === 0 ? 'yes' : 'NO',
  },
]);
console.log("\nRecall by condition, toolkit's own labels");
table([...own.breakdown, ...photographs.breakdown]);
console.log('\nRecall by condition, labels drawn differently');
table(other.breakdown);
for (const miss of [...own.misses, ...photographs.misses, ...other.misses].slice(0, 12)) console.log(`  missed: ${miss}`);
if (dumpDir) writeFileSync(join(dumpDir, 'manifest.json'), JSON.stringify(manifest, null, 1));
for (const fp of fpExamples) console.log(`  false positive: ${fp}`);

console.log('\nTime per 1920×1080 JPEG (ms; median over light, dark and busy pictures, and each kind)');
const byKind = (times) => Object.fromEntries(kinds.map((kind, i) => [kind, times.filter((_, j) => j % 3 === i)]));
table(
  [
    ['draw visible label', drawTimes],
    ['OCR, labeled image (stops at the first pass that reads it)', ocrLabeledTimes],
    ['OCR, unlabeled image (every pass)', ocrPlainTimes],
  ].map(([step, times]) => ({
    step,
    median: median(times).toFixed(0),
    ...Object.fromEntries(Object.entries(byKind(times)).map(([kind, xs]) => [kind, median(xs).toFixed(0)])),
  })),
);

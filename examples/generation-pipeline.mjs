#!/usr/bin/env node
/**
 * A generation service labeling its outputs through the library API: every image
 * the "model" returns gets the implicit label (GB 45438 Annex E, first write)
 * before it leaves the service. Run: node examples/generation-pipeline.mjs [outDir]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLabel, detectBuffer, labelBuffer } from 'aigc-label';
import sharp from 'sharp';

const PROVIDER_CODE = '001191440300708461136T1XGW3'; // your 27-character TC260 provider code
const outDir = process.argv[2] ?? 'out/pipeline';
await mkdir(outDir, { recursive: true });

/** Stands in for a model call: returns PNG bytes. */
async function generateImage(seed) {
  const hue = (seed * 67) % 360;
  return sharp({ create: { width: 256, height: 192, channels: 3, background: `hsl(${hue}, 60%, 50%)` } })
    .png()
    .toBuffer();
}

for (let seed = 1; seed <= 3; seed++) {
  const image = await generateImage(seed);
  // One label per output: the ProduceID is this service's id for the content (here a UUIDv7).
  const label = createLabel({ producer: PROVIDER_CODE });
  const { bytes, report } = await labelBuffer(new Uint8Array(image), { label, filename: 'output.png' });
  const file = join(outDir, `image-${seed}.png`);
  await writeFile(file, bytes);
  const check = await detectBuffer(bytes, { filename: file });
  console.log(`${file}: ${report.format}, ProduceID ${check.label?.ProduceID}, ${check.carriers.length} carrier`);
}

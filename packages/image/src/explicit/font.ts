// biome-ignore lint/style/noRestrictedImports: the only file this package reads is a font shipped inside an npm dependency
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Font } from 'opentype.js';

// Noto Sans SC (OFL-1.1) from npm, so labels render the same on a machine with no CJK fonts.
const FONT_ASSET = '@expo-google-fonts/noto-sans-sc/500Medium/NotoSansSC_500Medium.ttf';

const require = createRequire(import.meta.url);

let cached: Font | undefined;

/**
 * The parsed label font, once per process. Its glyphs (some 30,000) are read when first drawn
 * (`lowMemory`): parsing them all took 1.3-1.7 s of every command that draws a label, for the
 * few dozen a label uses; the outlines and widths are the same either way (font.test.ts).
 */
export function labelFont(): Font {
  if (cached === undefined) {
    // opentype.js is CommonJS for Node and ESM without a default export for bundlers; require gives
    // one shape, and loading it here keeps it out of runs that never draw a label.
    const opentype = require('opentype.js') as typeof import('opentype.js');
    const file = readFileSync(require.resolve(FONT_ASSET));
    cached = opentype.parse(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength), { lowMemory: true });
  }
  return cached;
}

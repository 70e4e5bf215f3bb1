import { createRequire } from 'node:module';
import type Sharp from 'sharp';

const require = createRequire(import.meta.url);
let loaded: typeof Sharp | undefined;

/**
 * sharp, loaded on first call. Metadata labels never decode pixels, and loading libvips
 * takes about a quarter of a second: a batch worker that only reads and writes metadata
 * should not pay for it.
 */
export const sharp = ((...args: unknown[]) => {
  if (!loaded) {
    // sharp ships CommonJS and ESM builds; a resolver that prefers `import` (vitest) hands back the namespace.
    const module = require('sharp') as typeof Sharp | { default: typeof Sharp };
    loaded = 'default' in module ? module.default : module;
  }
  return (loaded as unknown as (...a: unknown[]) => unknown)(...args);
}) as typeof Sharp;

import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through this export
// condition, so tests need no build step.
const conditions = ['@aigc-label/source', 'import', 'module', 'node', 'default'];
const packages = ['core', 'ffmpeg', 'text', 'image', 'audio', 'video', 'security', 'evidence', 'aigc-label', 'service', 'queue', 'cli'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@aigc-label/source'] } },
  test: {
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        test: { name, include: [`packages/${name}/test/**/*.test.ts`] },
      })),
      { extends: true as const, test: { name: 'repo', include: ['test/**/*.test.ts'] } },
    ],
    testTimeout: 60_000,
  },
});

#!/usr/bin/env node
/**
 * The README's generated tables (formats, rules, evidence) from the built packages;
 * test/readme.test.ts checks they agree. `--write` puts them into README.md in place.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { defaultRegistry } from '../packages/aigc-label/dist/index.js';
import * as audio from '../packages/audio/dist/index.js';
import * as core from '../packages/core/dist/index.js';
import * as evidence from '../packages/evidence/dist/index.js';
import * as image from '../packages/image/dist/index.js';
import * as text from '../packages/text/dist/index.js';
import * as video from '../packages/video/dist/index.js';
import { allEvidenceKinds, allRules, formatsTable, idTable } from '../test/readme-tables.mjs';

const packages = { core, text, image, audio, video, evidence };
const modules = defaultRegistry.list();
const sections = {
  formats: formatsTable(modules),
  rules: idTable('Rule id', allRules(packages, modules)),
  evidence: idTable('Evidence kind', allEvidenceKinds(packages)),
};

if (process.argv.includes('--write')) {
  const path = new URL('../README.md', import.meta.url);
  let readme = readFileSync(path, 'utf8');
  for (const [name, table] of Object.entries(sections)) {
    const pattern = new RegExp(`<!-- ${name}:start -->\\n[\\s\\S]*?\\n<!-- ${name}:end -->`);
    if (!pattern.test(readme)) throw new Error(`README.md has no <!-- ${name}:start --> section`);
    readme = readme.replace(pattern, `<!-- ${name}:start -->\n${table}\n<!-- ${name}:end -->`);
  }
  writeFileSync(path, readme);
} else {
  for (const [name, table] of Object.entries(sections)) console.log(`<!-- ${name}:start -->\n${table}\n<!-- ${name}:end -->\n`);
}

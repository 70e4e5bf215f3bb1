#!/usr/bin/env node
import { defaultRegistry } from '../packages/aigc-label/dist/index.js';
/** Prints the README's generated tables (formats, rules, evidence) from the built packages; test/readme.test.ts checks they agree. */
import * as audio from '../packages/audio/dist/index.js';
import * as core from '../packages/core/dist/index.js';
import * as image from '../packages/image/dist/index.js';
import * as text from '../packages/text/dist/index.js';
import * as video from '../packages/video/dist/index.js';
import { allEvidenceKinds, allRules, formatsTable, idTable } from '../test/readme-tables.mjs';

const packages = { core, text, image, audio, video };
const modules = defaultRegistry.list();
console.log('<!-- formats:start -->');
console.log(formatsTable(modules));
console.log('<!-- formats:end -->\n\n<!-- rules:start -->');
console.log(idTable('Rule id', allRules(packages, modules)));
console.log('<!-- rules:end -->\n\n<!-- evidence:start -->');
console.log(idTable('Evidence kind', allEvidenceKinds(packages)));
console.log('<!-- evidence:end -->');

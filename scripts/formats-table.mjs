#!/usr/bin/env node
/** Prints the README's supported-formats table from the registry (test/readme.test.ts checks they agree). */
import { defaultRegistry, explicitSupport } from '../packages/aigc-label/dist/index.js';
import { formatsTable } from '../test/formats-table.mjs';

console.log(formatsTable(defaultRegistry.list(), explicitSupport));

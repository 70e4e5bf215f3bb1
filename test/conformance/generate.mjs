#!/usr/bin/env node
/**
 * Writes the conformance corpus: every file of `corpus.mjs` under `files/`, `expected.jsonl`
 * (per file: what it tests, the expected outcome or error, ProduceID and findings, and the gap
 * when the toolkit does not meet it yet) and the table in README.md.
 *
 *   node test/conformance/generate.mjs           write files/, expected.jsonl and the README table
 *   node test/conformance/generate.mjs --check   exit 1 when any of them is not what the script makes
 *
 * Needs no build and runs no toolkit code: the corpus is data another verifier can use too.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { cases } from './corpus.mjs';

const here = import.meta.dirname;
const filesDir = join(here, 'files');
const readmePath = join(here, 'README.md');
const expectedPath = join(here, 'expected.jsonl');
const encoder = new TextEncoder();

/** Every file of the corpus: its path under files/, its bytes and its expectation. */
export function corpus() {
  return cases.map(({ name, what, build, expect, gap }) => {
    const built = build();
    const bytes = typeof built === 'string' ? encoder.encode(built) : built;
    return { name, what, bytes, expect, gap: gap ?? null };
  });
}

/** One JSON object a line: file, what it tests, the expectation, the gap or null. */
const expectedJson = (entries) =>
  entries.map(({ name, what, expect, gap }) => `${JSON.stringify({ file: name, what, expect, gap })}\n`).join('');

const cell = (s) => String(s).replaceAll('|', '\\|');
/** Table lines with every column padded to its widest cell, as Biome formats Markdown tables. */
function padded([header, ...rows]) {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}
function table(entries) {
  const rows = entries.map(({ name, what, expect, gap }) => {
    const outcome = expect.error ? `error: ${expect.error}` : expect.outcome;
    const findings = expect.findings?.length ? expect.findings.map((f) => `\`${f}\``).join(' ') : '—';
    return [`\`${cell(name)}\``, cell(what), outcome, findings, gap ? `gap: ${cell(gap)}` : 'met'];
  });
  const gaps = entries.filter((e) => e.gap).length;
  return [
    `${entries.length} files; the toolkit meets ${entries.length - gaps}, and ${gaps} are known gaps (the issue item that asks for each is named).`,
    '',
    ...padded([['File', 'What it tests', 'Expected outcome', 'Expected findings (warnings and errors)', 'Today'], ...rows]),
  ].join('\n');
}

const START = '<!-- table:start -->';
const END = '<!-- table:end -->';
/** The README with its generated table replaced. */
export function readmeWithTable(readme, entries) {
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from < 0 || to < from) throw new Error(`README.md lacks the ${START} … ${END} markers`);
  return `${readme.slice(0, from + START.length)}\n${table(entries)}\n${readme.slice(to)}`;
}

function listFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else out.push(relative(filesDir, path));
  }
  return out.sort();
}

/** What differs between the corpus on disk and what the script makes, as lines. */
export function differences(entries = corpus()) {
  const problems = [];
  const names = new Set(entries.map((e) => e.name));
  let onDisk = [];
  try {
    onDisk = listFiles(filesDir);
  } catch {
    problems.push('files/ is missing');
  }
  for (const name of onDisk) if (!names.has(name)) problems.push(`files/${name} is not in corpus.mjs`);
  for (const { name, bytes } of entries) {
    let stored;
    try {
      stored = readFileSync(join(filesDir, name));
    } catch {
      problems.push(`files/${name} is missing`);
      continue;
    }
    if (Buffer.compare(stored, Buffer.from(bytes)) !== 0) problems.push(`files/${name} differs`);
  }
  const read = (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  if (read(expectedPath) !== expectedJson(entries)) problems.push('expected.jsonl is not current');
  const readme = read(readmePath);
  // Biome pads the table's columns; compare the cells, not the padding.
  const cells = (s) => s.replace(/ +/g, ' ').replace(/-{3,}/g, '---');
  if (!readme.includes(START) || cells(readmeWithTable(readme, entries)) !== cells(readme)) problems.push('README.md table is not current');
  return problems;
}

if (process.argv[1] === import.meta.filename) {
  const entries = corpus();
  if (process.argv.includes('--check')) {
    const problems = differences(entries);
    for (const p of problems) console.error(p);
    if (problems.length) {
      console.error('run: node test/conformance/generate.mjs');
      process.exit(1);
    }
  } else {
    rmSync(filesDir, { recursive: true, force: true });
    for (const { name, bytes } of entries) {
      mkdirSync(dirname(join(filesDir, name)), { recursive: true });
      writeFileSync(join(filesDir, name), bytes);
    }
    writeFileSync(expectedPath, expectedJson(entries));
    writeFileSync(readmePath, readmeWithTable(readFileSync(readmePath, 'utf8'), entries));
    console.log(`${entries.length} files written to ${relative(process.cwd(), filesDir)}`);
  }
}

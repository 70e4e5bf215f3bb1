import {
  AIGC_FIELDS,
  type AigcLabel,
  type ByteSource,
  decodeLabel,
  type Evidence,
  type Finding,
  type FormatHandler,
  finding,
  type LabelCarrier,
  LimitExceededError,
  MalformedInputError,
  type ReadResult,
  Rules,
  readAll,
  splicePlan,
  utf8,
  type WriteResult,
} from '@aigc-label/core';
import type { Pair } from 'yaml';

/** The YAML parser, loaded on the first file with front matter: a run that meets none (a batch of images) never loads it. */
let YAML: typeof import('yaml');
async function loadYaml(): Promise<void> {
  YAML ??= await import('yaml');
}

import { findExplicitLabels } from '../explicit/detect.js';
import { explicitLabelEvidence } from '../explicit/evidence.js';
import { assertCarrierCount, decodeCarrierValue } from '../plain/carrier.js';
import { byteOffsets, decodeText, decodeTextTolerant, lineEndingOf, looksLikeText, requireUtf8 } from '../plain/encoding.js';
import { utf8TextPrompt } from '../plain/prompt.js';
import { textWatermark } from '../watermark/capability.js';
import {
  type FrontMatterSpan,
  findCutFrontMatter,
  findFrontMatter,
  maximumFrontMatterInCharacters,
  maximumFrontMatterNesting,
  yamlNestingDepth,
} from './front-matter.js';

/** Findings only this format emits, with their meaning (the README's rule table is generated from these). */
export const markdownRules = {
  'markdown/unquoted-value': 'front matter values are unquoted; the guide quotes them as strings (info)',
  'markdown/vendor-variant': 'a known vendor variant of the front-matter label (info)',
} as const;

const FORMAT = 'markdown';
const fail = (message: string) => new MalformedInputError(FORMAT, message);

interface AigcEntry {
  readonly pair: Pair;
  /** Offsets into the whole text of the key's lines: the key line through its indented value lines. */
  readonly start: number;
  readonly end: number;
}

interface ParsedFrontMatter {
  readonly span: FrontMatterSpan;
  readonly entries: readonly AigcEntry[];
  /** The YAML parser's first error, when the front matter does not parse. */
  readonly error: string | null;
}

/**
 * Front matter and its top-level AIGC keys (any case). YAML is read with the failsafe schema:
 * every scalar a string. Nesting deeper than any real front matter is refused before the
 * recursive parser sees it, and duplicate keys are not checked by the parser (that check is
 * quadratic in the number of keys); several AIGC keys are found here anyway.
 */
function parseFrontMatter(text: string, span = findFrontMatter(text)): ParsedFrontMatter | null {
  if (!span) return null;
  const yaml = text.slice(span.yamlStart, span.yamlEnd);
  if (yaml.length > maximumFrontMatterInCharacters) {
    throw new LimitExceededError(`markdown: the YAML front matter is over ${maximumFrontMatterInCharacters} characters`);
  }
  if (yamlNestingDepth(yaml) > maximumFrontMatterNesting) {
    throw new LimitExceededError(`markdown: the YAML front matter nests deeper than ${maximumFrontMatterNesting} levels`);
  }
  const doc = YAML.parseDocument(yaml, { schema: 'failsafe', uniqueKeys: false });
  if (doc.errors.length > 0) return { span, entries: [], error: doc.errors[0].message.split('\n')[0] };
  if (doc.contents !== null && !YAML.isMap(doc.contents)) return { span, entries: [], error: 'the front matter is not a mapping of keys' };
  const entries: AigcEntry[] = [];
  for (const pair of YAML.isMap(doc.contents) ? doc.contents.items : []) {
    if (!YAML.isScalar(pair.key) || String(pair.key.value).toUpperCase() !== 'AIGC' || !pair.key.range) continue;
    const start = lineStart(text, span.yamlStart + pair.key.range[0]);
    entries.push({ pair, start, end: blockEnd(text, start, span.yamlEnd) });
    assertCarrierCount(entries.length, FORMAT);
  }
  return { span, entries, error: null };
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}

/** The key line plus the lines indented under it (blank lines inside count); stops at the next key or comment at the key's indent. */
function blockEnd(text: string, keyLineStart: number, limit: number): number {
  const indent = /^[ \t]*/.exec(text.slice(keyLineStart, limit))?.[0].length ?? 0;
  let end = nextLine(text, keyLineStart, limit);
  let cursor = end;
  while (cursor < limit) {
    const next = nextLine(text, cursor, limit);
    const line = text.slice(cursor, next).replace(/\r?\n$/, '');
    if (line.trim() === '') {
      cursor = next;
      continue;
    }
    if ((/^[ \t]*/.exec(line)?.[0].length ?? 0) <= indent) break;
    end = next;
    cursor = next;
  }
  return end;
}

function nextLine(text: string, from: number, limit: number): number {
  const newline = text.indexOf('\n', from);
  return newline === -1 || newline >= limit ? limit : newline + 1;
}

function carrierOf(text: string, entry: AigcEntry, lineNumber: number): LabelCarrier {
  const value = entry.pair.value;
  const raw = text.slice(entry.start, entry.end).replace(/\r?\n$/, '');
  const findings: Finding[] = [];
  const decoded = YAML.isMap(value)
    ? decodeLabel(value.toJSON() as Record<string, unknown>)
    : YAML.isScalar(value)
      ? decodeCarrierValue(String(value.value ?? ''))
      : decodeCarrierValue(raw.replace(/^[ \t]*AIGC[ \t]*:/i, ''));
  const key = String((entry.pair.key as { value: unknown }).value);
  const canonical = key === 'AIGC' && YAML.isMap(value);
  if (!canonical) {
    findings.push(
      finding(
        Rules.nonCanonicalCarrier,
        'warning',
        key !== 'AIGC'
          ? `front matter key "${key}" should be spelled "AIGC"`
          : 'the AIGC value is not a mapping of the seven fields (TC260-PG-20258A §6.5)',
      ),
    );
  }
  if (YAML.isMap(value)) {
    const unquoted = value.items
      .filter((p) => YAML.isScalar(p.value) && p.value.type === 'PLAIN')
      .map((p) => String((p.key as { value: unknown }).value));
    if (unquoted.length > 0) {
      findings.push(
        finding('markdown/unquoted-value', 'info', `unquoted values (${unquoted.join(', ')}); the guide quotes them as strings`),
      );
    }
  }
  if ((decoded.label?.Label as string | undefined) === 'AIGC') {
    // MiniMax Agent front matter writes Label: AIGC and a producer name with spaces (reference §2.4).
    findings.push(
      finding(
        'markdown/vendor-variant',
        'info',
        'Label "AIGC" is a vendor variant (MiniMax Agent); Annex E c) uses "1", "2" or "3"',
        'Label',
      ),
    );
  }
  return {
    carrier: 'markdown-front-matter',
    location: `YAML front matter, key "${key}" at line ${lineNumber}`,
    raw,
    label: decoded.label,
    form: decoded.form,
    canonical,
    findings: [...decoded.findings, ...findings],
  };
}

/** Explicit labels in the body, with offsets into the whole text. */
function bodyEvidence(text: string, bodyStart: number): { evidence: Evidence[]; findings: Finding[] } {
  const matches = findExplicitLabels(text.slice(bodyStart)).map((m) => ({ ...m, start: m.start + bodyStart, end: m.end + bodyStart }));
  return explicitLabelEvidence(matches);
}

/** The 1-based line numbers of `offsets` (ascending), counted in one pass. */
function lineNumbersAt(text: string, offsets: readonly number[]): number[] {
  const numbers: number[] = [];
  let line = 1;
  let cursor = 0;
  for (const offset of offsets) {
    for (let newline = text.indexOf('\n', cursor); newline !== -1 && newline < offset; newline = text.indexOf('\n', newline + 1)) {
      line++;
      cursor = newline + 1;
    }
    numbers.push(line);
  }
  return numbers;
}

/** A YAML single-quoted scalar: only `'` needs escaping (YAML 1.2 §7.3.2). */
const singleQuoted = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** The AIGC mapping in Annex E order, quoted strings, as TC260-PG-20258A §6.5 shows it. */
function aigcBlock(label: AigcLabel, indent: string, fieldIndent: string, eol: string): string {
  return `${indent}AIGC:${eol}${AIGC_FIELDS.map((f) => `${fieldIndent}${f}: ${singleQuoted(label[f])}${eol}`).join('')}`;
}

interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly insert: string;
}

export const markdown: FormatHandler = {
  id: FORMAT,
  kind: 'text',
  name: 'Markdown',
  extensions: ['md', 'markdown'],
  mimeTypes: ['text/markdown'],
  carrier: 'YAML front matter AIGC mapping (TC260-PG-20258A §6.5)',
  contentRegions: {
    unsupported: 'the label is front matter inside the text, so a binding needs the text without it, canonically (not done yet)',
  },
  rules: markdownRules,
  explicit: utf8TextPrompt('markdown', FORMAT),
  watermark: textWatermark('markdown', FORMAT),
  sniff: looksLikeText,
  sniffNeedsExtension: true,

  async read(source: ByteSource): Promise<ReadResult> {
    const decoded = decodeTextTolerant(await readAll(source, FORMAT), FORMAT);
    const { text } = decoded;
    const findings: Finding[] = [...decoded.findings];
    const cut = findCutFrontMatter(text);
    if (cut) {
      const message =
        'the YAML front matter is never closed: the file is cut inside it (truncated); its AIGC key was read from the lines that arrived';
      findings.push(finding(Rules.damaged, 'error', message, 'front matter'));
    }
    const span = findFrontMatter(text) ?? cut;
    if (span) await loadYaml();
    const parsed = parseFrontMatter(text, span);
    if (parsed?.error) {
      findings.push(finding(Rules.damaged, 'error', `the YAML front matter does not parse: ${parsed.error}`, 'front matter'));
    }
    const entries = parsed?.entries ?? [];
    const lines = lineNumbersAt(
      text,
      entries.map((e) => e.start),
    );
    const carriers = entries.map((entry, i) => carrierOf(text, entry, lines[i] as number));
    const body = bodyEvidence(text, parsed?.span.end ?? 0);
    return { format: FORMAT, carriers, findings: [...findings, ...body.findings], evidence: body.evidence };
  },

  /**
   * Writes the AIGC mapping into the front matter (creating it at the head when
   * missing), replacing any AIGC key; every other key, comment and line ending is
   * kept byte for byte. The visible prompt at the end of the body, as the guide shows,
   * is the format's explicit label (`utf8TextPrompt('markdown')`), added before this by the pipeline.
   */
  async write(source: ByteSource, label: AigcLabel): Promise<WriteResult> {
    const bytes = await readAll(source, FORMAT);
    const decoded = decodeText(bytes, FORMAT);
    requireUtf8(decoded, FORMAT);
    const { text } = decoded;
    const eol = lineEndingOf(text);
    await loadYaml();
    if (findCutFrontMatter(text))
      throw fail('the YAML front matter with the AIGC key is never closed (a truncated file); it is not labeled');
    const parsed = parseFrontMatter(text);
    if (parsed?.error) throw fail(`the YAML front matter does not parse (${parsed.error}); fix it before labeling`);
    const edits: TextEdit[] = [];
    const findings: Finding[] = [];
    if (!parsed) {
      const at = text.startsWith('\uFEFF') ? 1 : 0;
      edits.push({ start: at, end: at, insert: `---${eol}${aigcBlock(label, '', '  ', eol)}---${eol}` });
    } else if (parsed.entries.length === 0) {
      edits.push({ start: parsed.span.yamlEnd, end: parsed.span.yamlEnd, insert: aigcBlock(label, '', '  ', eol) });
    } else {
      const [first, ...rest] = parsed.entries;
      // Keep the file's own indentation (MiniMax indents the fields by four spaces).
      const indent = /^[ \t]*/.exec(text.slice(first.start))?.[0] ?? '';
      const existingFieldIndent = /\n([ \t]+)\S/.exec(text.slice(first.start, first.end))?.[1];
      const fieldIndent = existingFieldIndent && existingFieldIndent.length > indent.length ? existingFieldIndent : `${indent}  `;
      edits.push({ start: first.start, end: first.end, insert: aigcBlock(label, indent, fieldIndent, eol) });
      for (const extra of rest) edits.push({ start: extra.start, end: extra.end, insert: '' });
      if (rest.length > 0)
        findings.push(
          finding(Rules.multipleLabels, 'info', `removed ${rest.length} further AIGC key(s) from the front matter (one label per file)`),
        );
    }
    checkMerged(text, edits, label);
    const sorted = [...edits].sort((a, b) => a.start - b.start);
    const offsets = byteOffsets(
      decoded,
      sorted.flatMap((e) => [e.start, e.end]),
    );
    const byteEdits = sorted.map((e, i) => ({
      start: offsets[2 * i] as number,
      end: offsets[2 * i + 1] as number,
      insert: utf8(e.insert),
    }));
    return { ...splicePlan(bytes.length, byteEdits), findings };
  },
};

/** The merged front matter must parse and hold exactly the new label; otherwise nothing is written. */
function checkMerged(text: string, edits: readonly TextEdit[], label: AigcLabel): void {
  let merged = '';
  let cursor = 0;
  for (const e of [...edits].sort((a, b) => a.start - b.start)) {
    merged += text.slice(cursor, e.start) + e.insert;
    cursor = e.end;
  }
  merged += text.slice(cursor);
  const parsed = parseFrontMatter(merged);
  const entry = parsed?.entries.length === 1 ? parsed.entries[0] : null;
  const value = entry && YAML.isMap(entry.pair.value) ? (entry.pair.value.toJSON() as Record<string, unknown>) : null;
  if (parsed?.error || !value || AIGC_FIELDS.some((f) => value[f] !== label[f])) {
    throw fail(
      `could not merge the label into the front matter${parsed?.error ? ` (${parsed.error})` : ''}; the front matter layout is unusual`,
    );
  }
}

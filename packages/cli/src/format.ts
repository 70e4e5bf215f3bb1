import type { DetectReport, ErrorReport, LabelReport, VerifyReport } from 'aigc-label';

/**
 * Text from a file (a label value, a file name, an error that quotes either) made safe for a
 * terminal: C0 and C1 controls, DEL and the bidirectional overrides and isolates are shown as
 * visible escapes, so no file can move the cursor, clear the screen, set the window title or
 * reorder what an operator reads. `--json` output is never passed through this (JSON escapes
 * controls itself and stays exact).
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (ch) => {
    const code = ch.charCodeAt(0);
    const named: Record<number, string> = { 9: '\\t', 10: '\\n', 13: '\\r' };
    return named[code] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}

/** Pads columns; the last column is not padded. Every cell is made printable. */
export function table(cells: readonly (readonly string[])[]): string {
  const rows = cells.map((row) => row.map(printable));
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell));
    });
  }
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i] - displayWidth(cell)))).join('  '))
    .join('\n');
}

/** CJK characters take two terminal columns. */
function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text)
    width += /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/.test(ch) ? 2 : 1;
  return width;
}

/** The table cell for a file's signatures: ReservedCode1's verdict, and ReservedCode2's when it holds something. */
export function signatureCell(report: DetectReport): string {
  const [producer, propagator] = report.signatures ?? [];
  if (!producer) return '-';
  return propagator && propagator.verdict !== 'absent' ? `${producer.verdict} / ${propagator.verdict}` : producer.verdict;
}

const short = (text: string, max = 40) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function detectTable(reports: readonly (DetectReport | ErrorReport)[]): string {
  const rows = [['FILE', 'FORMAT', 'LABEL', 'PRODUCER', 'PRODUCE ID', 'SIGNATURE', 'CARRIERS', 'FINDINGS']];
  for (const r of reports) {
    if ('error' in r) {
      rows.push([r.file ?? '-', '-', 'error', short(r.error.message, 60), '', '', '', '']);
      continue;
    }
    rows.push([
      r.file ?? '-',
      r.format,
      r.label ? r.label.Label : 'none',
      r.label ? short(r.label.ContentProducer, 30) : '',
      r.label ? short(r.label.ProduceID, 38) : '',
      signatureCell(r),
      String(r.carriers.length),
      findingCounts(r.findings),
    ]);
  }
  return table(rows);
}

export function verifyTable(reports: readonly (VerifyReport | ErrorReport)[]): string {
  const rows = [['FILE', 'FORMAT', 'OUTCOME', 'SIGNATURE', 'PROMPT', 'BASIS']];
  for (const r of reports) {
    if ('error' in r) rows.push([r.file ?? '-', '-', 'error', '', '', short(r.error.message, 70)]);
    else rows.push([r.file ?? '-', r.format, r.outcome, signatureCell(r), r.prompt ?? '-', short(r.basis, 70)]);
  }
  return table(rows);
}

export function labelTable(reports: readonly (LabelReport | ErrorReport)[]): string {
  const rows = [['FILE', 'OUTPUT', 'FORMAT', 'PRODUCE ID', 'NOTE']];
  for (const r of reports) {
    if ('error' in r) rows.push([r.file ?? '-', '-', '-', '', `error: ${short(r.error.message, 70)}`]);
    else
      rows.push([
        r.file ?? '-',
        r.output ?? '-',
        r.format,
        r.label.ProduceID,
        [r.previous ? 'replaced existing label' : '', explicitNote(r.findings), findingCounts(r.findings)].filter(Boolean).join('; '),
      ]);
  }
  return table(rows);
}

/** Why no explicit label was added (the format cannot carry one, or the file was labeled already), for the NOTE column. */
function explicitNote(findings: LabelReport['findings']): string {
  const why = findings.find((f) => f.rule === 'explicit/unsupported' || f.rule === 'explicit/skipped');
  return why ? short(why.message, 70) : '';
}

function findingCounts(findings: DetectReport['findings']): string {
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  return [errors ? `${errors} error${errors > 1 ? 's' : ''}` : '', warnings ? `${warnings} warning${warnings > 1 ? 's' : ''}` : '']
    .filter(Boolean)
    .join(', ');
}

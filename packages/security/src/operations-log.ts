/**
 * The operations log's pure parts (Measures Art. 9: a provider that hands out content without
 * an explicit label at the user's request keeps logs of it for at least six months).
 *
 * One JSON line per file, each carrying the SM3 of the line before it (`prev`), so editing,
 * removing or inserting a line breaks the chain at the next line. The file writer, with
 * locking and fsync, lives in the facade (`aigc-label`'s `operations-log.ts`).
 */
import { type AigcLabel, sm3, toHex, utf8 } from '@aigc-label/core';

/** Why no explicit label was added. `user-request` is the case Measures Art. 9 names. */
export type ExplicitSkipReason = 'user-request' | 'already-present' | 'not-supported' | (string & {});

export interface OperationRecord {
  /** ISO 8601 UTC; `formatLogLine` fills it when omitted. */
  readonly time?: string;
  readonly operation: 'label' | 'propagate';
  /** Input and output as the caller names them (paths, object keys). */
  readonly input?: string;
  readonly output?: string;
  /** SM3 of the input and output files, hex. */
  readonly inputSm3: string;
  readonly outputSm3: string;
  /** The label written. */
  readonly label: AigcLabel;
  readonly explicit: { readonly added: true } | { readonly added: false; readonly reason: ExplicitSkipReason };
  /** `Signer.keyId` of the key that signed the label, or null. */
  readonly signerKeyId: string | null;
}

/** `prev` of a log's first line. */
export const LOG_GENESIS = '0'.repeat(64);
export const LOG_FORMAT_VERSION = 1;

/** SM3 of one line's bytes (UTF-8, without its newline), hex: the next line's `prev`. */
export const logLineHash = (line: string): string => toHex(sm3(utf8(line)));

/**
 * One log line (no newline). `previousLine` is the line before it, or null for a new log;
 * a rotated log's first line may chain to the last line of the file before it.
 */
export function formatLogLine(record: OperationRecord, previousLine: string | null): string {
  const { time, operation, input, output, inputSm3, outputSm3, label, explicit, signerKeyId } = record;
  return JSON.stringify({
    v: LOG_FORMAT_VERSION,
    prev: previousLine === null ? LOG_GENESIS : logLineHash(previousLine),
    time: time ?? new Date().toISOString(),
    operation,
    input: input ?? null,
    output: output ?? null,
    inputSm3,
    outputSm3,
    label,
    explicit,
    signerKeyId,
  });
}

export type LogChainResult =
  | {
      readonly ok: true;
      readonly lines: number /** Hash of the last line: keep it elsewhere to protect the last line too. */;
      readonly head: string;
    }
  | {
      readonly ok: false;
      readonly lines: number /** 1-based number of the first line that does not check out. */;
      readonly line: number;
      readonly reason: string;
    };

/**
 * Checks a log's chain and returns the first line that breaks it. `previous` is the hash the
 * first line must chain to (LOG_GENESIS for a new log; the head of the rotated file before).
 * The last line is only as safe as its head hash: keep `head` somewhere else.
 */
export function verifyLogChain(text: string, previous: string = LOG_GENESIS): LogChainResult {
  const lines = text.split('\n');
  const last = lines.pop();
  const count = lines.length + (last ? 1 : 0);
  let expected = previous;
  for (let i = 0; i < lines.length; i++) {
    const reason = lineProblem(lines[i], expected, i + 1);
    if (reason) return { ok: false, lines: count, line: i + 1, reason };
    expected = logLineHash(lines[i]);
  }
  if (last) return { ok: false, lines: count, line: count, reason: 'the last line is incomplete (no newline): a write was cut short' };
  return { ok: true, lines: count, head: expected };
}

function lineProblem(line: string, expected: string, number: number): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return 'not a JSON line';
  }
  const entry = parsed as { v?: unknown; prev?: unknown };
  if (typeof parsed !== 'object' || parsed === null || entry.v !== LOG_FORMAT_VERSION) return 'not an operations-log line';
  if (entry.prev !== expected) {
    return number === 1
      ? 'does not chain to the start of the log (or to the rotated file before it)'
      : `does not chain to line ${number - 1}: line ${number - 1} or this line was changed, or lines were removed or inserted`;
  }
  return null;
}

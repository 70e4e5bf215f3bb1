import type { Evidence } from './format.js';
import type { AigcLabel } from './label.js';

/**
 * What a platform must show (Measures Art. 6): `confirmed` 属于 (a metadata label
 * says AI-generated), `possible` 可能为 (no label, the user declared it),
 * `suspected` 疑似 (no label, no declaration, but traces), `none`.
 */
export type Outcome = 'confirmed' | 'possible' | 'suspected' | 'none';

export interface DecisionInput {
  /** The effective metadata label, if any. */
  readonly label: AigcLabel | null;
  /** The uploader declared the content AI-generated (Art. 6(2)). */
  readonly declared?: boolean;
  /** Explicit labels, watermarks, other provenance schemes (Art. 6(3)). */
  readonly traces?: readonly Evidence[];
}

export interface Decision {
  readonly outcome: Outcome;
  /** Which branch of Art. 6 decided it, in words. */
  readonly basis: string;
  /** The prompt the platform shows, or null. */
  readonly prompt: string | null;
}

export const PLATFORM_PROMPTS = {
  confirmed: '人工智能生成',
  possible: '可能为人工智能生成',
  suspected: '疑似人工智能生成',
} as const;

export function decideOutcome(input: DecisionInput): Decision {
  // A metadata label with Label 2 or 3 was itself written by a platform that was unsure;
  // it keeps that level rather than being promoted to "confirmed".
  if (input.label) {
    const outcome: Outcome = input.label.Label === '2' ? 'possible' : input.label.Label === '3' ? 'suspected' : 'confirmed';
    return {
      outcome,
      basis: `metadata label found (Label ${input.label.Label}), Measures Art. 6(1)`,
      prompt: PLATFORM_PROMPTS[outcome],
    };
  }
  if (input.declared) {
    return {
      outcome: 'possible',
      basis: 'no metadata label; the user declared the content AI-generated, Measures Art. 6(2)',
      prompt: PLATFORM_PROMPTS.possible,
    };
  }
  const traces = (input.traces ?? []).filter((t) => t.aiTrace);
  const strongest = strongestTrace(traces);
  if (strongest) {
    const where = strongest.where ? ` at ${strongest.where}` : '';
    const others = traces.length > 1 ? `; ${traces.length} traces in all (${[...new Set(traces.map((t) => t.kind))].join(', ')})` : '';
    return {
      outcome: 'suspected',
      basis: `no metadata label or declaration; strongest trace: ${strongest.kind} (${strongest.scheme})${where}${others}, Measures Art. 6(3)`,
      prompt: PLATFORM_PROMPTS.suspected,
    };
  }
  return { outcome: 'none', basis: 'no metadata label, declaration or trace', prompt: null };
}

/**
 * How much a trace proves, strongest first: a signed assertion that validated, a TC260 label
 * outside its carrier, an explicit label, a watermark, an IPTC source type, a vendor's marker, and
 * last a signed assertion whose signature or bindings failed.
 */
function traceStrength(trace: Evidence): number {
  if (trace.validation?.state === 'Invalid') return 0;
  const order: Readonly<Record<Evidence['scheme'], number>> = { c2pa: 7, tc260: 6, explicit: 5, watermark: 4, iptc: 3, vendor: 2 };
  return order[trace.scheme];
}

/** The trace that proves most; the first found among equals. */
export function strongestTrace(traces: readonly Evidence[]): Evidence | undefined {
  let best: Evidence | undefined;
  for (const trace of traces) if (trace.aiTrace && (best === undefined || traceStrength(trace) > traceStrength(best))) best = trace;
  return best;
}

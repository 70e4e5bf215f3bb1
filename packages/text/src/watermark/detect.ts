/**
 * Reads the text mark from any excerpt: every run of the mark's selectors is cut into clusters,
 * clusters whose keyed check fails are dropped, each fragment is voted on, and the fragments'
 * combinations are checked against the CRC-16. Text without the selectors gives nothing at all;
 * a cluster passes its check by chance with probability 2⁻⁶ and a whole message its CRC with
 * 2⁻¹⁶, so a false detection needs both.
 */
import { assemblePayload, CLUSTER_SYMBOLS, FIRST_SELECTOR, FRAGMENTS, isMarkSelector, readCluster, TextMarkKey } from './code.js';

export interface TextWatermarkFinding {
  readonly payload: Uint8Array;
  readonly payloadHex: string;
  /** Valid clusters that agree with this payload. */
  readonly clusters: number;
}

export interface TextWatermarkDetection {
  /** Payloads read, most supported first (two when two marks were mixed, e.g. pasted texts). */
  readonly findings: readonly TextWatermarkFinding[];
  /** Runs of selector clusters seen, valid or not. */
  readonly clustersSeen: number;
  /** Clusters that passed their keyed check. */
  readonly clustersValid: number;
}

/** Most candidate values per fragment tried when votes disagree. */
const CANDIDATES_PER_FRAGMENT = 3;

export function detectTextWatermark(text: string, options: { readonly key?: string | undefined } = {}): TextWatermarkDetection {
  const key = new TextMarkKey(options.key);
  const votes: Map<number, number>[] = Array.from({ length: FRAGMENTS }, () => new Map());
  let seen = 0;
  let valid = 0;
  let run: number[] = [];
  const closeRun = () => {
    for (let i = 0; i + CLUSTER_SYMBOLS <= run.length; i += CLUSTER_SYMBOLS) {
      seen++;
      const cluster = readCluster(run.slice(i, i + CLUSTER_SYMBOLS), key);
      if (!cluster) continue;
      valid++;
      const fragmentVotes = votes[cluster.index]!;
      fragmentVotes.set(cluster.fragment, (fragmentVotes.get(cluster.fragment) ?? 0) + 1);
    }
    run = [];
  };
  for (let i = 0; i < text.length; i++) {
    const codePoint = text.codePointAt(i)!;
    if (codePoint > 0xffff) i++;
    if (isMarkSelector(codePoint)) run.push(codePoint - FIRST_SELECTOR);
    else if (run.length > 0) closeRun();
  }
  closeRun();
  const ranked = votes.map((fragmentVotes) => [...fragmentVotes.entries()].sort((a, b) => b[1] - a[1]).slice(0, CANDIDATES_PER_FRAGMENT));
  const findings: TextWatermarkFinding[] = [];
  if (ranked.every((candidates) => candidates.length > 0)) {
    // Every combination of the leading candidates (at most 3⁴ = 81), kept when its CRC matches.
    const combine = (index: number, chosen: [number, number][]): void => {
      if (index === FRAGMENTS) {
        const payload = assemblePayload(
          chosen.map(([fragment]) => fragment),
          key,
        );
        if (payload) {
          const payloadHex = Array.from(payload, (b) => b.toString(16).padStart(2, '0')).join('');
          if (!findings.some((f) => f.payloadHex === payloadHex)) {
            findings.push({ payload, payloadHex, clusters: chosen.reduce((n, [, count]) => n + count, 0) });
          }
        }
        return;
      }
      for (const candidate of ranked[index]!) combine(index + 1, [...chosen, candidate]);
    };
    combine(0, []);
  }
  findings.sort((a, b) => b.clusters - a.clusters);
  return { findings, clustersSeen: seen, clustersValid: valid };
}

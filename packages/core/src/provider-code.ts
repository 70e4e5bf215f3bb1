/**
 * The 27-character service-provider code of the TC260 coding rules
 * (网安秘字〔2025〕29号): `00` format code, a 20-character subject code
 * (`1` organisation, `1` bound to a USCC, then the 18-character USCC), and a
 * 5-character service extension (`1` generation or `2` propagation, then a
 * 4-character model/app code; `00000` when not written).
 */
export interface ProviderCode {
  readonly formatCode: string;
  readonly subjectType: string;
  readonly bindingType: string;
  /** Unified Social Credit Code when bindingType is `1`. */
  readonly subjectId: string;
  /** `1` generation, `2` propagation, `0` not written. */
  readonly serviceType: string;
  readonly serviceCode: string;
}

const PROVIDER_CODE = /^[0-9A-Z]{27}$/;
// GB 32100 USCC alphabet: digits and capitals without I, O, S, V, Z.
const USCC = /^[0-9A-HJ-NPQRTUWXY]{18}$/;

export const looksLikeProviderCode = (value: string): boolean => PROVIDER_CODE.test(value);

export function parseProviderCode(value: string): ProviderCode | null {
  if (!PROVIDER_CODE.test(value)) return null;
  return {
    formatCode: value.slice(0, 2),
    subjectType: value.slice(2, 3),
    bindingType: value.slice(3, 4),
    subjectId: value.slice(4, 22),
    serviceType: value.slice(22, 23),
    serviceCode: value.slice(23),
  };
}

/** Problems with a code's structure, as messages; empty when it is well formed. */
export function providerCodeProblems(value: string, role: 'producer' | 'propagator'): string[] {
  const code = parseProviderCode(value);
  if (!code) return ['is not a 27-character code of digits and capital letters'];
  const problems: string[] = [];
  if (code.formatCode !== '00') problems.push(`format code is ${code.formatCode}, expected 00`);
  if (code.subjectType === '1' && code.bindingType === '1' && !USCC.test(code.subjectId)) {
    problems.push(`positions 5-22 (${code.subjectId}) are not a valid Unified Social Credit Code`);
  }
  const expected = role === 'producer' ? '1' : '2';
  const extensionUnwritten = value.slice(22) === '00000';
  if (!extensionUnwritten && code.serviceType !== expected) {
    problems.push(
      `service type (position 23) is ${code.serviceType}, expected ${expected} for a ${role === 'producer' ? 'generation' : 'propagation'} service`,
    );
  }
  return problems;
}

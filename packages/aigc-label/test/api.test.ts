/**
 * The facade's public surface: an explicit list of names (no `export *`), and the main
 * signatures checked at compile time (`pnpm lint` type-checks this file; a change that breaks
 * users' code fails there).
 */
import type { Finding, RuleId } from '@aigc-label/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  DetectReport,
  LabelFileOptions,
  LabelOptions,
  LabelReport,
  Outcome,
  PropagateResult,
  VerifyOptions,
  VerifyReport,
} from '../src/index.js';
import * as api from '../src/index.js';

describe('public API', () => {
  it('exports exactly the documented values', () => {
    expect(Object.keys(api).sort()).toEqual([
      'AigcLabelError',
      'ExternalToolError',
      'FileError',
      'InvalidLabelError',
      'LabelConflictError',
      'LabelValue',
      'LimitExceededError',
      'MalformedInputError',
      'OperationsLog',
      'REPORT_SCHEMA_VERSION',
      'Sm2PrivateKey',
      'TrustStore',
      'UnknownFormatError',
      'UnsafeXmlError',
      'UnsupportedFormatError',
      'UsageError',
      'WriteVerificationError',
      'createLabel',
      'defaultEvidenceReaders',
      'defaultRegistry',
      'detectBuffer',
      'detectFile',
      'disposeOcr',
      'externalSigner',
      'generateSm2KeyPair',
      'jobCost',
      'labelBuffer',
      'labelFile',
      'loadPrivateKey',
      'loadSm2PublicKey',
      'localSigner',
      'newProduceId',
      'outputPathFor',
      'parseTrustStore',
      'propagateBuffer',
      'propagateFile',
      'removeTemporariesOf',
      'verifyBuffer',
      'verifyFile',
      'verifyLogChain',
      'verifyLogFile',
      'writeKeyFiles',
    ]);
  });

  it('keeps the main signatures', () => {
    expectTypeOf(api.labelFile).parameters.toEqualTypeOf<[path: string, options: LabelFileOptions]>();
    expectTypeOf(api.labelFile).returns.resolves.toEqualTypeOf<LabelReport>();
    expectTypeOf(api.labelBuffer).returns.resolves.toEqualTypeOf<{ bytes: Uint8Array; report: LabelReport }>();
    expectTypeOf(api.detectFile).returns.resolves.toEqualTypeOf<DetectReport>();
    expectTypeOf(api.verifyBuffer).parameter(1).toEqualTypeOf<VerifyOptions | undefined>();
    expectTypeOf(api.verifyFile).returns.resolves.toEqualTypeOf<VerifyReport>();
    expectTypeOf(api.propagateFile).returns.resolves.toEqualTypeOf<PropagateResult>();
    expectTypeOf<VerifyReport['outcome']>().toEqualTypeOf<Outcome>();
    expectTypeOf<Outcome>().toEqualTypeOf<'confirmed' | 'possible' | 'suspected' | 'none'>();
  });

  it('types rule ids and option names', () => {
    // Rule ids are a union of literals contributed by every package, not any string.
    expectTypeOf<Finding['rule']>().toEqualTypeOf<RuleId>();
    expectTypeOf<'annex-e/charset'>().toMatchTypeOf<RuleId>();
    expectTypeOf<'gb45438/5.2e-text-height'>().toMatchTypeOf<RuleId>();
    expectTypeOf<'no/such-rule'>().not.toMatchTypeOf<RuleId>();
    // One name per idea: placement everywhere; the 0.1 names still type-check (deprecated).
    expectTypeOf<{
      text: { placement: ['end'] };
      audio: { placement: ['start'] };
      video: { placement: ['start'] };
    }>().toMatchTypeOf<LabelOptions>();
    expectTypeOf<{ text: { positions: ['end'] }; video: { at: ['start'] } }>().toMatchTypeOf<LabelOptions>();
    expectTypeOf<{ audible: false }>().toMatchTypeOf<VerifyOptions>();
  });
});

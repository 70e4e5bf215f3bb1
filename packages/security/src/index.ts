/**
 * @aigc-label/security: SM2/SM3 signed labels (TC260-PG-202511A SecurityData in
 * ReservedCode1/2), content binding, verdicts, keys, trust store and the operations log.
 * See README.md in this package for the format, its sources and the choices made.
 */
export { CONTENT_SCHEME, type ContentRegions, digestRegions, wholeFile } from './binding.js';
export {
  generateSm2KeyPair,
  keyIdOf,
  type LoadPrivateKeyOptions,
  loadPrivateKey,
  loadPublicKey,
  loadSm2PublicKey,
  Oid,
  Sm2PrivateKey,
  Sm2PublicKey,
  type VerificationKey,
} from './keys.js';
export {
  type ExplicitSkipReason,
  formatLogLine,
  LOG_FORMAT_VERSION,
  LOG_GENESIS,
  type LogChainResult,
  logLineHash,
  type OperationRecord,
  verifyLogChain,
} from './operations-log.js';
export {
  bindingEntry,
  type ContentBinding,
  type KeyEntry,
  labelMessage,
  maximumSecurityDataInChars,
  type OpaqueKind,
  type ReservedField,
  type ReservedValue,
  readReservedValue,
  type SecurityData,
  SecurityType,
  SIGNED_ELEMENTS,
  type SignatureEntry,
  type SignLabelOptions,
  signingParty,
  signSecurityData,
} from './security-data.js';
export { externalSigner, localSigner, type Signer, type SignerOptions, signChecked } from './signer.js';
export { DEFAULT_DISTINGUISHING_ID, sm2Sign, sm2Verify, sm2Z } from './sm2.js';
export { parseTrustStore, type TrustEntry, TrustStore } from './trust.js';
export {
  type BindingStatus,
  type ContentDigest,
  type FieldVerdict,
  SIGNATURE_VERDICTS,
  type SignatureEvidence,
  type SignatureVerdict,
  type VerifyOptions,
  verifyLabelSecurity,
  verifyReservedField,
} from './verify.js';

import { InvalidLabelError } from './errors.js';
import { type AigcLabel, LabelValue } from './label.js';
import type { Outcome } from './verify.js';

/** What a platform adds (Measures Art. 6, last paragraph). */
export interface PropagationElements {
  /** Platform name or code (ContentPropagator; service type digit 2 in a coded form). */
  readonly propagator: string;
  /** The platform's id for this content (PropagateID). */
  readonly propagateId: string;
  /** Platform security data (ReservedCode2); the existing value is kept when omitted. */
  readonly reservedCode2?: string | undefined;
  /** For possible/suspected content: who the uploader says produced it, if anyone. */
  readonly declaredProducer?: string | undefined;
}

/**
 * The label a platform writes after verification. For confirmed content the
 * producer's Label, ContentProducer, ProduceID and ReservedCode1 stay exactly as
 * found (Measures Art. 10 forbids altering them); only the propagation elements
 * change. Possible and suspected content gets a new label with Label 2 or 3.
 */
export function propagateLabel(existing: AigcLabel | null, outcome: Outcome, platform: PropagationElements): AigcLabel {
  if (!platform.propagator) throw new InvalidLabelError('a platform name or code is required (ContentPropagator)');
  if (!platform.propagateId) throw new InvalidLabelError('a platform content id is required (PropagateID)');
  if (existing) {
    return {
      Label: existing.Label,
      ContentProducer: existing.ContentProducer,
      ProduceID: existing.ProduceID,
      ReservedCode1: existing.ReservedCode1,
      ContentPropagator: platform.propagator,
      PropagateID: platform.propagateId,
      ReservedCode2: platform.reservedCode2 ?? existing.ReservedCode2,
    };
  }
  if (outcome === 'none' || outcome === 'confirmed') {
    throw new InvalidLabelError(
      outcome === 'none'
        ? 'nothing to propagate: no label, no declaration and no trace (Measures Art. 6(4): offer the uploader a declaration instead)'
        : 'confirmed content must already carry a label',
    );
  }
  return {
    Label: outcome === 'possible' ? LabelValue.Possible : LabelValue.Suspected,
    ContentProducer: platform.declaredProducer ?? '',
    ProduceID: '',
    ReservedCode1: '',
    ContentPropagator: platform.propagator,
    PropagateID: platform.propagateId,
    ReservedCode2: platform.reservedCode2 ?? '',
  };
}

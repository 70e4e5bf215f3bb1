export { type ExplicitLabelMatch, type ExplicitLabelPosition, findExplicitLabels, scanExplicitLabels } from './detect.js';
export { ExplicitRules, explicitLabelEvidence } from './evidence.js';
export {
  type AddLabelOptions,
  addExplicitLabel,
  explicitLabelInsertions,
  type LabeledText,
  type LabelInsertion,
  type LabelPlacement,
  type PlacedLabel,
  type TextFlavour,
} from './insert.js';
export { normaliseForDetection } from './normalise.js';
export { type LabelStreamOptions, labelByteStream, labelTextStream } from './stream.js';
export { explicitLabelText, type LabelTextOptions, type WordingChoice } from './wording.js';

import {
  type CostClass,
  type ExplicitDetectOptions,
  type ExplicitLabelOptions,
  extensionOf,
  type FormatRegistry,
  isExplicitCapability,
  searchEnabled,
  type WatermarkDetectOptions,
  type WatermarkLabelOptions,
} from '@aigc-label/core';
import { normalizeDetectOptions } from './options.js';
import { defaultRegistry } from './registry.js';
import { watermarkCost } from './watermark.js';

export interface JobCostInput {
  readonly verb: 'label' | 'detect' | 'verify' | 'inspect' | 'propagate';
  readonly file: string;
  readonly options: ExplicitLabelOptions &
    ExplicitDetectOptions &
    WatermarkLabelOptions &
    WatermarkDetectOptions & { readonly visiblePrompt?: boolean | undefined };
}

/**
 * What processing a file will cost, from its extension and the options, before it is opened:
 * `media` when a step decodes pixels or samples (an explicit label, OCR, the audible search),
 * else `metadata`. Batch schedulers overlap many metadata jobs on a thread, one media job.
 */
export function jobCost(job: JobCostInput, registry: FormatRegistry = defaultRegistry): CostClass {
  const handler = registry.byExtension(extensionOf(job.file));
  // An unknown extension may be any format once sniffed: labeling it may decode media.
  if (!handler) return job.verb === 'label' && job.options.explicit !== false ? 'media' : 'metadata';
  if (watermarkCost(handler, job) === 'media') return 'media';
  const explicit = handler.explicit && isExplicitCapability(handler.explicit) ? handler.explicit : null;
  if (!explicit) return 'metadata';
  if (job.verb === 'label') return job.options.explicit === false ? 'metadata' : explicit.cost;
  const options = normalizeDetectOptions(job.options);
  const searching = explicit.searches.some((s) => s.cost === 'media' && searchEnabled(s, options));
  const prompting = job.verb === 'propagate' && job.options.visiblePrompt === true && explicit.cost === 'media';
  return searching || prompting ? 'media' : 'metadata';
}

/**
 * The text format modules and what the facade's registry wires from this package, without the
 * rest of it (the prompt writers and the watermark's embedder): a command that reads one file's
 * metadata loads only this (`@aigc-label/text/handlers`).
 */
import type { FormatModule } from '@aigc-label/core';
import { html } from './html/index.js';
import { markdown } from './markdown/index.js';
import { ooxml } from './ooxml/index.js';
import { pdf } from './pdf/index.js';
import { plainText } from './plain/index.js';

/** Text handlers in sniffing order. */
export const textHandlers: readonly FormatModule[] = [pdf, ooxml, html, markdown, plainText];
export { findExplicitLabels } from './explicit/detect.js';
export { textEvidence } from './rules.js';

import {
  bytesSource,
  type ExplicitCapability,
  type ExplicitLabelOptions,
  type Finding,
  finding,
  materialize,
  type Placement,
  Rules,
} from '@aigc-label/core';
import { explicitLabelText } from '../explicit/wording.js';
import { planZipRewrite } from '../zip/rewrite.js';
import { bodyInsertionPoints, paragraphXml, wordprocessingPrefix } from './document.js';
import { openPackage } from './package.js';
import { encodePart } from './parts.js';

/**
 * The explicit label of a Word document (GB 45438 §5.1): a paragraph holding the prompt at the
 * start and/or the end of the body of word/document.xml. Every other entry, and every other
 * byte of the document part, stays as it was. Spreadsheets and presentations get none yet
 * (a cell or a slide shape would be content of their own): a finding says so.
 */
export const ooxmlExplicit: ExplicitCapability = {
  summary: 'a paragraph at the start or end of a Word document',
  cost: 'metadata',
  customWording: true,
  inRead: true,
  searches: [],
  labeler: {
    input: 'bytes',
    async apply(bytes: Uint8Array, options: ExplicitLabelOptions) {
      const { wording, symbol, placement, positions } = options.text ?? {};
      const text = explicitLabelText({ ...(wording === undefined ? {} : { wording }), ...(symbol === undefined ? {} : { symbol }) });
      const source = bytesSource(bytes);
      const pkg = await openPackage(source, 'write');
      const xml = pkg.mainPart === null ? null : await pkg.readPart(pkg.mainPart);
      const prefix = xml === null ? null : wordprocessingPrefix(xml);
      if (xml === null || prefix === null || pkg.mainPart === null) {
        const why = 'no explicit label in spreadsheets or presentations yet: only Word documents get a paragraph';
        return {
          bytes,
          summary: { kind: 'text' as const, detail: `none (${why})` },
          findings: [finding(Rules.explicitUnsupported, 'info', why)],
        };
      }
      const wanted = new Set<Placement>(placement ?? (typeof positions === 'string' ? [positions] : (positions ?? ['end'])));
      const findings: Finding[] = [];
      if (wanted.has('middle')) {
        findings.push(
          finding(
            'explicit/placement',
            'info',
            'a Word document gets its paragraph at the start or end of the body, not in the middle; it went to the end',
          ),
        );
        wanted.delete('middle');
        wanted.add('end');
      }
      const at = bodyInsertionPoints(xml, prefix);
      const paragraph = paragraphXml(prefix, text);
      let edited: string;
      if (at.selfClosing) {
        const open = xml.indexOf('/>', at.start);
        edited = `${xml.slice(0, open)}>${paragraph}</${prefix}body>${xml.slice(open + 2)}`;
      } else {
        const start = wanted.has('start') ? paragraph : '';
        const end = wanted.has('end') ? paragraph : '';
        edited = xml.slice(0, at.start) + start + xml.slice(at.start, at.end) + end + xml.slice(at.end);
      }
      const plan = planZipRewrite(pkg.directory, { replace: new Map([[pkg.indexOf(pkg.mainPart), encodePart(edited)]]), add: [] });
      const where = [...wanted].join(' and ');
      return {
        bytes: await materialize(plan, source),
        summary: { kind: 'text' as const, detail: `paragraph "${text}" at the ${where} of ${pkg.mainPart}` },
        findings,
      };
    },
  },
};

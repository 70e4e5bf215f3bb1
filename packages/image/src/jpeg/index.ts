import {
  type AigcLabel,
  ascii,
  type ByteSource,
  bytesSource,
  c2paEvidence,
  concat,
  decodeXmpPacket,
  type Evidence,
  encodeBare,
  encodeWrapped,
  encodeXmpPacket,
  type Finding,
  type FormatHandler,
  findAigcInXmp,
  finding,
  fromLatin1,
  fromUtf8,
  type LabelCarrier,
  LimitExceededError,
  labelXmpPacket,
  MalformedInputError,
  type ReadResult,
  Rules,
  splicePlan,
  startsWith,
  type WriteOptions,
  type WriteResult,
  xmpEvidence,
} from '@aigc-label/core';
import { visibleImageLabel } from '../explicit/capability.js';
import { type ByteEdit, c2paInvalidatedFinding, listedOnly, mergeEdits, textCarrier, xmpCarriers } from '../shared/carriers.js';
import { editExifPayload, newExifPayload } from '../shared/exif-edit.js';
import { type ExifLabelPlace, exifTextCarriers } from '../shared/tiff-ifd.js';
import { imageWatermark } from '../watermark/capability.js';
import { assembleExtendedXmp, type ExtendedXmp, extendedGuidIn, extendedXmpSegments, withoutAigc } from './extended-xmp.js';
import { jpegContentRegions } from './regions.js';
import {
  APP0,
  APP1,
  EXIF_SIGNATURE,
  isApp,
  isC2pa,
  isExif,
  isExtendedXmp,
  isStandardXmp,
  type JpegSegment,
  makeSegment,
  maximumSegmentPayload,
  maximumStandardXmpBytes,
  payload,
  readJpegHead,
  XMP_SIGNATURE,
} from './segments.js';

const AIGC_BLOB = /AIGC\s*\{/;

interface JpegLayout {
  readonly segments: readonly JpegSegment[];
  readonly findings: Finding[];
  readonly standardXmp: readonly JpegSegment[];
  readonly extended: readonly ExtendedXmp[];
  readonly exif: JpegSegment | undefined;
  /** APP segments (other than XMP and EXIF) whose payload holds an `AIGC{...}` blob. */
  readonly blobs: readonly JpegSegment[];
  /** APP11 JUMBF segments of a C2PA manifest store. */
  readonly c2pa: readonly JpegSegment[];
}

/** One character per byte (the native decoder: 32 MB of APP segments are decoded in milliseconds), so offsets match. */
const latin1 = fromLatin1;

async function layout(source: ByteSource, salvage: boolean): Promise<JpegLayout & { bytes: Uint8Array }> {
  const { head: jpeg, segments, findings } = await readJpegHead(source, salvage);
  const standardXmp = segments.filter((s) => isStandardXmp(jpeg, s));
  const extendedSegments = segments.filter((s) => isExtendedXmp(jpeg, s));
  const assembled = assembleExtendedXmp(jpeg, extendedSegments);
  findings.push(...assembled.findings);
  const exifSegments = segments.filter((s) => isExif(jpeg, s));
  if (exifSegments.length > 1) findings.push(finding(Rules.damaged, 'info', `${exifSegments.length} EXIF segments; readers use the first`));
  const blobs = segments.filter(
    (s) => isApp(s) && !isStandardXmp(jpeg, s) && !isExtendedXmp(jpeg, s) && !isExif(jpeg, s) && AIGC_BLOB.test(latin1(payload(jpeg, s))),
  );
  return {
    bytes: jpeg,
    segments,
    findings,
    standardXmp,
    extended: assembled.packets,
    exif: exifSegments[0],
    blobs,
    c2pa: segments.filter((s) => isC2pa(jpeg, s)),
  };
}

/** A standard packet's text and encoding (UTF-8, or UTF-16/32 as some writers use). */
const xmpPacket = (jpeg: Uint8Array, s: JpegSegment) => decodeXmpPacket(payload(jpeg, s).subarray(XMP_SIGNATURE.length));

async function exifCarriers(jpeg: Uint8Array, s: JpegSegment, findings: Finding[]): Promise<LabelCarrier[]> {
  try {
    return await exifTextCarriers(
      bytesSource(payload(jpeg, s).subarray(EXIF_SIGNATURE.length)),
      s.dataOffset + EXIF_SIGNATURE.length,
      `APP1 Exif at byte ${s.offset}`,
      'jpeg',
    );
  } catch (error) {
    if (!(error instanceof MalformedInputError)) throw error;
    // A damaged EXIF block is common in the wild and must not hide the XMP label.
    findings.push(finding(Rules.damaged, 'warning', error.message, `APP1 Exif at byte ${s.offset}`));
    return [];
  }
}

function blobCarrier(jpeg: Uint8Array, s: JpegSegment): LabelCarrier {
  const text = latin1(payload(jpeg, s));
  const start = text.search(AIGC_BLOB);
  const end = text.lastIndexOf('}');
  const raw = fromUtf8(payload(jpeg, s).subarray(start, end + 1));
  return textCarrier('jpeg-app-blob', `APP${s.marker - APP0} segment at byte ${s.offset}, AIGC{...} blob`, s.offset, raw);
}

export const jpeg: FormatHandler = {
  id: 'jpeg',
  kind: 'image',
  name: 'JPEG',
  extensions: ['jpg', 'jpeg', 'jpe', 'jfif'],
  mimeTypes: ['image/jpeg'],
  carrier: 'APP1 XMP, XMP TC260:AIGC',
  explicit: visibleImageLabel,
  contentRegions: jpegContentRegions,
  watermark: imageWatermark,
  sniff: (head) => head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && (head[2] === 0xff || appSignatureAfterGarbage(head)),

  async read(source: ByteSource): Promise<ReadResult> {
    const l = await layout(source, true);
    const bytes = l.bytes;
    const findings = [...l.findings];
    const carriers: LabelCarrier[] = [];
    const evidence: Evidence[] = [];
    if (l.standardXmp.length > 1)
      findings.push(finding(Rules.damaged, 'warning', `${l.standardXmp.length} standard XMP segments; XMP allows one`));
    const extendedGuids = new Set(l.extended.map((e) => e.guid));
    for (const s of listedOnly(l.standardXmp, 'standard XMP segments', findings)) {
      const { xml } = xmpPacket(bytes, s);
      const where = `APP1 XMP segment at byte ${s.offset}`;
      if (s.end - s.dataOffset - XMP_SIGNATURE.length > maximumStandardXmpBytes) {
        findings.push(finding(Rules.damaged, 'warning', `standard XMP packet is over ${maximumStandardXmpBytes} bytes`, where));
      }
      carriers.push(...xmpCarriers(xml, where, s.offset));
      evidence.push(...xmpEvidence(xml, where));
      const guid = extendedGuidIn(xml);
      if (guid && !extendedGuids.has(guid))
        findings.push(finding(Rules.damaged, 'warning', `HasExtendedXMP names ${guid}, which is not in the file`, where));
    }
    for (const e of listedOnly(l.extended, 'Extended XMP packets', findings)) {
      if (e.xml === null) continue;
      const where = `Extended XMP ${e.guid} (APP1 at byte ${e.segments[0].offset})`;
      carriers.push(...xmpCarriers(e.xml, where, e.segments[0].offset));
      evidence.push(...xmpEvidence(e.xml, where));
    }
    if (l.exif) carriers.push(...(await exifCarriers(bytes, l.exif, findings)));
    for (const s of listedOnly(l.blobs, 'APP segments with an AIGC blob', findings)) carriers.push(blobCarrier(bytes, s));
    if (l.c2pa.length > 0) {
      const store = concat(l.c2pa.map((s) => payload(bytes, s)));
      evidence.push(c2paEvidence(store, `APP11 JUMBF at byte ${l.c2pa[0].offset}`));
    }
    return { format: 'jpeg', carriers, findings, evidence };
  },

  /**
   * Sets TC260:AIGC in the standard XMP packet (updated in place, or a new APP1
   * right after SOI/APP0/APP1-Exif), removes AIGC properties from Extended XMP
   * and labels in other carriers (one label per file, GB 45438 §6.1 c)), and
   * writes EXIF UserComment only when `alternativeCarrier` asks for it.
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const l = await layout(source, false);
    const bytes = l.bytes;
    const json = options.form === 'wrapped' ? encodeWrapped(label) : encodeBare(label);
    if (l.standardXmp.length > 1)
      throw new MalformedInputError('jpeg', `${l.standardXmp.length} standard XMP segments; a JPEG may have one`);
    const edits: ByteEdit[] = [];
    const findings: Finding[] = [];
    const existing = l.standardXmp[0];
    // The label is written in the packet's own encoding, so every other tag stays readable.
    const packet = existing ? xmpPacket(bytes, existing) : null;
    let standard = labelXmpPacket(packet?.xml ?? null, json, options);

    for (const e of l.extended) {
      if (e.xml === null || findAigcInXmp(e.xml).length === 0) continue;
      // The label lives in the standard packet; the extended one is re-keyed by its new MD5.
      const rebuilt = extendedXmpSegments(withoutAigc(e.xml), e.encoding);
      standard = standard.replace(e.guid, rebuilt.guid);
      edits.push({ start: e.segments[0].offset, end: e.segments[0].end, insert: concat(rebuilt.segments) });
      for (const s of e.segments.slice(1)) edits.push({ start: s.offset, end: s.end, insert: new Uint8Array(0) });
      findings.push(
        finding(Rules.multipleLabels, 'info', `moved the AIGC property out of Extended XMP ${e.guid} into the standard packet`),
      );
    }

    const standardBytes = encodeXmpPacket(standard, packet?.encoding ?? 'utf-8');
    if (standardBytes.length > maximumStandardXmpBytes) {
      throw new LimitExceededError(
        `jpeg: the XMP packet would be ${standardBytes.length} bytes, over the ${maximumStandardXmpBytes}-byte standard XMP limit`,
      );
    }
    const xmpSegment = makeSegment(APP1, concat([XMP_SIGNATURE, standardBytes]));
    const xmpAt = afterLeadingSegments(bytes, l.segments);
    const xmpEdit: ByteEdit = existing
      ? { start: existing.offset, end: existing.end, insert: xmpSegment }
      : { start: xmpAt, end: xmpAt, insert: xmpSegment };

    const wantUserComment = options.alternativeCarrier === true;
    const exifLabels = l.exif ? await exifCarriers(bytes, l.exif, findings) : [];
    if (wantUserComment || exifLabels.length > 0) {
      // Image guide Annex B: UserComment holds the wrapped form.
      const userComment = wantUserComment ? encodeWrapped(label) : null;
      const exifPayload = l.exif
        ? await editExifPayload(payload(bytes, l.exif), userComment, 'jpeg')
        : newExifPayload(encodeWrapped(label));
      if (exifPayload.length > maximumSegmentPayload) {
        throw new LimitExceededError(
          `jpeg: the EXIF block would be ${exifPayload.length} bytes, over the ${maximumSegmentPayload}-byte APP1 limit`,
        );
      }
      const exifSegment = makeSegment(APP1, exifPayload);
      if (l.exif) edits.push({ start: l.exif.offset, end: l.exif.end, insert: exifSegment });
      else edits.push({ start: afterApp0(l.segments), end: afterApp0(l.segments), insert: exifSegment });
      const rewritten: ExifLabelPlace = 'Exif IFD UserComment';
      for (const c of exifLabels) {
        if (!(wantUserComment && c.location.endsWith(rewritten))) {
          findings.push(finding(Rules.multipleLabels, 'info', `removed the label in ${c.location}; it is now in XMP (one label per file)`));
        }
      }
    }
    for (const s of l.blobs) {
      edits.push({ start: s.offset, end: s.end, insert: new Uint8Array(0) });
      findings.push(
        finding(Rules.multipleLabels, 'info', `replaced the AIGC blob in APP${s.marker - APP0} at byte ${s.offset} by the XMP label`),
      );
    }
    // Last, so that a new EXIF segment at the same offset comes before it.
    edits.push(xmpEdit);
    if (l.c2pa.length > 0) findings.push(c2paInvalidatedFinding());
    return { ...splicePlan(source.size, mergeEdits(edits)), findings };
  },
};

/** Signatures that open the APP segments real files start with (JFIF 1.02, EXIF 2.3 §4.5.4, XMP spec part 3 §1.1.3). */
const APP_SIGNATURES = [ascii('JFIF\0'), EXIF_SIGNATURE, XMP_SIGNATURE];

/**
 * SOI, then bytes that are not a marker, then an APP0/APP1 segment with a known signature: a
 * JPEG with extraneous bytes after SOI, which libjpeg reads with a warning (issue 25).
 */
function appSignatureAfterGarbage(head: Uint8Array): boolean {
  for (let at = head.indexOf(0xff, 2); at >= 0 && at + 4 < head.length; at = head.indexOf(0xff, at + 1)) {
    if (head[at + 1] !== APP0 && head[at + 1] !== APP1) continue;
    if (APP_SIGNATURES.some((signature) => startsWith(head, signature, at + 4))) return true;
  }
  return false;
}

/** XMP goes after SOI, JFIF APP0 and EXIF APP1, the order readers expect (XMP spec part 3 §1.1.3). */
function afterLeadingSegments(bytes: Uint8Array, segments: readonly JpegSegment[]): number {
  let at = 2;
  for (const s of segments) {
    if (s.marker === APP0 || isExif(bytes, s)) at = s.end;
    else break;
  }
  return at;
}

/** A new EXIF APP1 goes right after SOI or JFIF APP0 (EXIF 2.3 §4.5.4). */
function afterApp0(segments: readonly JpegSegment[]): number {
  return segments[0]?.marker === APP0 ? segments[0].end : 2;
}

/**
 * ffmpeg's WebM muxer refuses H.264 and H.265, which browsers record into WebM all the same
 * (MediaRecorder `video/webm;codecs=h264`). Such a file is written by the Matroska muxer and its
 * EBML header's DocType set back to "webm" here: the same bytes otherwise, the freed room a Void
 * (Matroska is WebM's superset; RFC 8794 §11.2.6 DocType, §6.3 Void).
 */
import { type ByteSource, ebml, readExact, splicePlan, type WritePlan } from '@aigc-label/core';

const EBML_HEADER = 0x1a45dfa3;
const DOC_TYPE = 0x4282;
/** The EBML header is a few dozen bytes; this much always holds it. */
const HEADER_BYTES = 256;

/** A plan that writes "webm" as the DocType of a Matroska file (null when the header says something else). */
export async function webmDocTypePlan(source: ByteSource): Promise<WritePlan | null> {
  const head = await readExact(source, 0, Math.min(HEADER_BYTES, source.size), 'matroska', 'EBML header');
  const header = ebml.parseElementHeader(head, 0, 0, head.length);
  if (header.id !== EBML_HEADER) return null;
  const docType = ebml.listElementsIn(head, header.dataOffset, header.end).find((e) => e.id === DOC_TYPE);
  if (!docType || new TextDecoder().decode(head.subarray(docType.dataOffset, docType.end)) !== 'matroska') return null;
  const replacement = ebml.elementFilling(DOC_TYPE, new TextEncoder().encode('webm'), docType.end - docType.offset);
  if (!replacement) return null;
  return splicePlan(source.size, [{ start: docType.offset, end: docType.end, insert: replacement }]);
}

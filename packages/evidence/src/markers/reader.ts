import {
  type ByteSource,
  decodeLabel,
  type Evidence,
  type EvidenceReader,
  type EvidenceReport,
  findXmpProperties,
  fromLatin1,
  type LabelCarrier,
  xmpEvidence,
} from '@aigc-label/core';
import { structureOf } from '../cache.js';
import { shown } from '../shown.js';
import type { FileStructure, TextField, XmpPacket } from '../structure.js';
import { userDataMessages, type VideoSamples } from './samples.js';
import { FIELD_MARKERS, type FieldMarker, SEI_MARKERS } from './table.js';

/** XMP properties that name the software that made a file (XMP basic CreatorTool, TIFF Software). */
const XMP_SOFTWARE_PROPERTIES = ['CreatorTool', 'Software'];

/**
 * Vendors' own AI markers (markers/table.ts), IPTC digital source types in any XMP packet of the
 * file, and TC260 labels sitting in fields no guide names. Every marker is a trace (Measures Art.
 * 6(3)); none is read as the file's label.
 */
export const vendorMarkerReader: EvidenceReader = {
  name: 'vendor-markers',
  async read({ source, read }): Promise<EvidenceReport> {
    const structure = await structureOf(source);
    const fields = [...structure.fields, ...xmpFields(structure.xmp)];
    const reported = new Set((read.evidence ?? []).map((e) => `${e.kind}\n${e.detail}`));
    const evidence = [
      ...fieldMarkers(fields),
      ...labelsInOtherFields(fields, read.carriers),
      ...structure.xmp.flatMap((packet) => iptc(packet)).filter((e) => !reported.has(`${e.kind}\n${e.detail}`)),
      ...(await seiMarkers(source, structure)),
    ];
    return { evidence, findings: [] };
  },
};

function xmpFields(packets: readonly XmpPacket[]): TextField[] {
  return packets.flatMap((packet) =>
    XMP_SOFTWARE_PROPERTIES.flatMap((name) => {
      try {
        return findXmpProperties(packet.xml, name).map((p) => ({
          container: 'xmp' as const,
          name,
          value: p.value,
          where: `${packet.where}, ${name}`,
        }));
      } catch {
        return []; // an unsafe packet: its format module reports it
      }
    }),
  );
}

function iptc(packet: XmpPacket): Evidence[] {
  try {
    return xmpEvidence(packet.xml, packet.where);
  } catch {
    return [];
  }
}

const matches = (marker: FieldMarker, field: TextField) =>
  marker.containers.includes(field.container) && marker.name.test(field.name) && marker.value.test(field.value);

/** One evidence entry per marker, at its first match. */
function fieldMarkers(fields: readonly TextField[]): Evidence[] {
  return FIELD_MARKERS.flatMap((marker) => {
    const field = fields.find((f) => matches(marker, f));
    if (!field) return [];
    const platform = marker.id === 'platform-aigc-json' ? aigcInfo(field.value) : null;
    const aiTrace = platform === null || platform.declared;
    return [
      {
        kind: 'vendor-marker',
        scheme: 'vendor',
        detail: `${marker.vendor}: ${field.name} "${shown(field.value, 80)}"${platform ? `, ${platform.summary}` : ''}`,
        where: field.where,
        aiTrace,
        reason: `${marker.means} (marker ${marker.id}; ${marker.source})${aiTrace ? '' : '; it declares no AI content'}`,
      } satisfies Evidence,
    ];
  });
}

/** Douyin's `aigc_info` is itself JSON in a string; `aigc_type` 0 declares no AI content. */
function aigcInfo(value: string): { declared: boolean; summary: string } {
  const type = /\\?"aigc_type\\?"\s*:\s*(\d+)/.exec(value)?.[1];
  return type === undefined
    ? { declared: true, summary: 'aigc_info without aigc_type' }
    : { declared: type !== '0', summary: `aigc_type ${type}` };
}

/**
 * A TC260 label in a field that is not a label carrier (an MP4 comment, a PNG Comment): a
 * trace, with the level its Label says, but not the file's label, which only a carrier gives.
 */
function labelsInOtherFields(fields: readonly TextField[], carriers: readonly LabelCarrier[]): Evidence[] {
  const out: Evidence[] = [];
  for (const field of fields) {
    if (/^AIGC$/i.test(field.name) || !/ContentProducer/.test(field.value)) continue;
    const start = field.value.indexOf('{');
    const { label } = decodeLabel(start < 0 ? field.value : field.value.slice(start));
    // The format module reads some such fields as carriers (a keyless MP4 item holding a label): those are the file's label already.
    if (!label || carriers.some((c) => c.label?.ProduceID === label.ProduceID && c.label.ContentProducer === label.ContentProducer))
      continue;
    const level = label.Label === '2' ? 'possible' : label.Label === '3' ? 'suspected' : 'confirmed';
    out.push({
      kind: 'vendor-marker',
      scheme: 'tc260',
      detail: `a TC260 label in ${field.name} (ContentProducer "${shown(label.ContentProducer, 40)}", ProduceID "${shown(label.ProduceID, 60)}")`,
      where: field.where,
      aiTrace: true,
      level,
      reason: 'a TC260 label in a field no guide names as its carrier: a trace, not the file’s label',
    });
  }
  return out.slice(0, 8);
}

async function seiMarkers(source: ByteSource, structure: FileStructure): Promise<Evidence[]> {
  const video: VideoSamples | null = structure.video;
  if (!video) return [];
  const samples: Uint8Array[] = [];
  for (const s of video.samples) if (s.offset + s.size <= source.size) samples.push(await source.read(s.offset, s.size));
  const messages = userDataMessages(samples, video.codec, video.lengthSize);
  return SEI_MARKERS.flatMap((marker) => {
    const message = messages.find((m) => m.uuid === marker.uuid && marker.payload.test(fromLatin1(m.payload.subarray(0, 64))));
    if (!message) return [];
    return [
      {
        kind: 'vendor-marker',
        scheme: 'vendor',
        detail: `${marker.vendor}: ${video.codec.toUpperCase()} SEI user data ${marker.uuid} "${shown(fromLatin1(message.payload), 40)}"`,
        where: `${video.codec.toUpperCase()} SEI in the first ${samples.length} samples of the video track`,
        aiTrace: true,
        reason: `${marker.means} (marker ${marker.id}; ${marker.source})`,
      } satisfies Evidence,
    ];
  });
}

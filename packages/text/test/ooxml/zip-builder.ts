import { deflateRawSync } from 'node:zlib';
import { concat, crc32, putU16le, putU32le, putU64le, utf8 } from '@aigc-label/core';

/**
 * A tiny, independent ZIP writer for test fixtures: stored or deflated entries,
 * optionally with data descriptors (bit 3, sizes zero in the local header) or
 * ZIP64 records, so the reader sees every layout real producers emit.
 */
export interface FixtureEntry {
  readonly name: string;
  readonly data: Uint8Array | string;
  readonly method?: 'store' | 'deflate';
  /** Overrides the uncompressed size written to the headers (to fake a zip bomb). */
  readonly declaredSize?: number;
  /** Overrides the CRC (to fake damage). */
  readonly crc?: number;
  /** General-purpose flag bits to set (bit 0: encrypted). */
  readonly flags?: number;
}

export interface FixtureOptions {
  readonly dataDescriptor?: boolean;
  readonly zip64?: boolean;
  readonly comment?: string;
}

export function buildZip(entries: readonly FixtureEntry[], options: FixtureOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const raw = typeof entry.data === 'string' ? utf8(entry.data) : entry.data;
    const deflate = (entry.method ?? 'deflate') === 'deflate';
    const compressed = deflate ? new Uint8Array(deflateRawSync(raw)) : raw;
    const crc = entry.crc ?? crc32(raw);
    const size = entry.declaredSize ?? raw.length;
    const name = utf8(entry.name);
    const flags = (options.dataDescriptor ? 0x08 : 0) | (entry.flags ?? 0);
    const zip64Extra = new Uint8Array(options.zip64 ? 20 : 0);
    if (options.zip64) {
      putU16le(zip64Extra, 0, 1);
      putU16le(zip64Extra, 2, 16);
      putU64le(zip64Extra, 4, size);
      putU64le(zip64Extra, 12, compressed.length);
    }
    const local = new Uint8Array(30 + name.length + zip64Extra.length);
    putU32le(local, 0, 0x04034b50);
    putU16le(local, 4, options.zip64 ? 45 : 20);
    putU16le(local, 6, flags);
    putU16le(local, 8, deflate ? 8 : 0);
    putU16le(local, 12, 0x21);
    if (!options.dataDescriptor) {
      putU32le(local, 14, crc);
      putU32le(local, 18, options.zip64 ? 0xffffffff : compressed.length);
      putU32le(local, 22, options.zip64 ? 0xffffffff : size);
    }
    putU16le(local, 26, name.length);
    putU16le(local, 28, zip64Extra.length);
    local.set(name, 30);
    local.set(zip64Extra, 30 + name.length);
    parts.push(local, compressed);
    if (options.dataDescriptor) {
      const descriptor = new Uint8Array(options.zip64 ? 24 : 16);
      putU32le(descriptor, 0, 0x08074b50);
      putU32le(descriptor, 4, crc);
      if (options.zip64) {
        putU64le(descriptor, 8, compressed.length);
        putU64le(descriptor, 16, size);
      } else {
        putU32le(descriptor, 8, compressed.length);
        putU32le(descriptor, 12, size);
      }
      parts.push(descriptor);
    }
    const centralExtra = new Uint8Array(options.zip64 ? 28 : 0);
    if (options.zip64) {
      putU16le(centralExtra, 0, 1);
      putU16le(centralExtra, 2, 24);
      putU64le(centralExtra, 4, size);
      putU64le(centralExtra, 12, compressed.length);
      putU64le(centralExtra, 20, offset);
    }
    const record = new Uint8Array(46 + name.length + centralExtra.length);
    putU32le(record, 0, 0x02014b50);
    putU16le(record, 4, 0x031e);
    putU16le(record, 6, options.zip64 ? 45 : 20);
    putU16le(record, 8, flags);
    putU16le(record, 10, deflate ? 8 : 0);
    putU16le(record, 14, 0x21);
    putU32le(record, 16, crc);
    putU32le(record, 20, options.zip64 ? 0xffffffff : compressed.length);
    putU32le(record, 24, options.zip64 ? 0xffffffff : size);
    putU16le(record, 28, name.length);
    putU16le(record, 30, centralExtra.length);
    putU32le(record, 42, options.zip64 ? 0xffffffff : offset);
    record.set(name, 46);
    record.set(centralExtra, 46 + name.length);
    central.push(record);
    offset += local.length + compressed.length + (options.dataDescriptor ? (options.zip64 ? 24 : 16) : 0);
  }
  const directory = concat(central);
  const comment = utf8(options.comment ?? '');
  const tail: Uint8Array[] = [];
  if (options.zip64) {
    const record = new Uint8Array(56);
    putU32le(record, 0, 0x06064b50);
    putU64le(record, 4, 44);
    putU16le(record, 12, 45);
    putU16le(record, 14, 45);
    putU64le(record, 24, entries.length);
    putU64le(record, 32, entries.length);
    putU64le(record, 40, directory.length);
    putU64le(record, 48, offset);
    const locator = new Uint8Array(20);
    putU32le(locator, 0, 0x07064b50);
    putU64le(locator, 8, offset + directory.length);
    putU32le(locator, 16, 1);
    tail.push(record, locator);
  }
  const end = new Uint8Array(22 + comment.length);
  putU32le(end, 0, 0x06054b50);
  putU16le(end, 8, options.zip64 ? 0xffff : entries.length);
  putU16le(end, 10, options.zip64 ? 0xffff : entries.length);
  putU32le(end, 12, options.zip64 ? 0xffffffff : directory.length);
  putU32le(end, 16, options.zip64 ? 0xffffffff : offset);
  putU16le(end, 20, comment.length);
  end.set(comment, 22);
  return concat([...parts, directory, ...tail, end]);
}

const CONTENT_TYPES_HEAD =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
  '<Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/>';

const MAIN: Record<'docx' | 'xlsx' | 'pptx', { part: string; type: string; body: string }> = {
  docx: {
    part: 'word/document.xml',
    type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml',
    body: '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>本文由人工智能生成。</w:t></w:r></w:p></w:body></w:document>',
  },
  xlsx: {
    part: 'xl/workbook.xml',
    type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml',
    body: '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>',
  },
  pptx: {
    part: 'ppt/presentation.xml',
    type: 'application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml',
    body: '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>',
  },
};

export interface PackageOptions extends FixtureOptions {
  readonly kind?: 'docx' | 'xlsx' | 'pptx';
  /** A custom.xml body to include (with its relationship and content type). */
  readonly customXml?: string;
  /** Bytes of a media entry stored uncompressed, as images usually are. */
  readonly media?: Uint8Array;
  readonly extraEntries?: readonly FixtureEntry[];
  /** The main part's XML instead of the fixture's. */
  readonly mainXml?: string;
}

/** A minimal valid package: content types, package relationships, core properties, the main part. */
export function buildPackage(options: PackageOptions = {}): Uint8Array {
  const main = MAIN[options.kind ?? 'docx'];
  const custom = options.customXml !== undefined;
  const contentTypes =
    `${CONTENT_TYPES_HEAD}<Override PartName="/${main.part}" ContentType="${main.type}"/>` +
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>' +
    (custom
      ? '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>'
      : '') +
    '</Types>';
  const rels =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="${main.part}"/>` +
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>' +
    (custom
      ? '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/>'
      : '') +
    '</Relationships>';
  const core =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Fixture</dc:title></cp:coreProperties>';
  const entries: FixtureEntry[] = [
    { name: '[Content_Types].xml', data: contentTypes },
    { name: '_rels/.rels', data: rels },
    { name: 'docProps/core.xml', data: core },
    { name: main.part, data: options.mainXml ?? main.body },
  ];
  if (options.media) entries.push({ name: 'word/media/image1.png', data: options.media, method: 'store' });
  if (custom) entries.push({ name: 'docProps/custom.xml', data: options.customXml as string });
  entries.push(...(options.extraEntries ?? []));
  return buildZip(entries, options);
}

/**
 * The conformance corpus (issue 25 item 7): every file, what it tests, and what a conforming
 * verifier reports for it: the Measures Art. 6 outcome (or the toolkit error a file that holds
 * no readable label gets), the ProduceID of the label that counts, and the warning and error
 * findings (rule ids; info findings are not compared). `gap` names a case where the toolkit
 * does not do this yet, with the issue item that asks for it; the test expects those to fail,
 * so a fix shows up as a test to update.
 *
 * Plain JavaScript: `generate.mjs` writes the files, `conformance.test.ts` runs them.
 */
import { box, concat, pngChunk, text } from '../hostile/build.mjs';
import {
  avi,
  docx,
  flac,
  flv,
  flvMetadata,
  flvTag,
  gif,
  gifXmpExtension,
  heif,
  html,
  id3Txxx,
  jpeg,
  jpegExifUserComment,
  jpegXmp,
  labelJson,
  markdown,
  matroska,
  mdtaMeta,
  mp3,
  mp4,
  oggPage,
  opus,
  PROPAGATOR,
  pdf,
  pdfString,
  png,
  pngText,
  tiff,
  wav,
  webp,
  wrapped,
  xmpAttribute,
  xmpElement,
  yamlMapping,
} from './containers.mjs';

const ID = 'conformance-0001';
const LABEL = labelJson();
const confirmed = (findings = [], produceId = ID) => ({ outcome: 'confirmed', produceId, findings });
const none = (findings = []) => ({ outcome: 'none', produceId: null, findings });

/** Cuts `bytes` to its first `keep` bytes (or all but `-keep` when negative). */
const cut = (bytes, keep) => bytes.subarray(0, keep < 0 ? bytes.length + keep : keep);
const append = (bytes, extra) => concat([bytes, extra]);
const garbage = (n) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff);
/** Where `needle` (ASCII) first occurs in `bytes`. */
const find = (bytes, needle) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(needle);
const withByte = (bytes, at, value) => {
  const out = bytes.slice();
  out[at] = value;
  return out;
};

/** The canonical carrier of each format, holding `value`. */
const canonical = {
  png: (value) => png({ xmp: xmpElement(value) }),
  jpg: (value) => jpeg([jpegXmp(xmpElement(value))]),
  webp: (value) => webp({ xmp: xmpElement(value) }),
  gif: (value) => gif({ extensions: [gifXmpExtension(xmpElement(value))] }),
  tif: (value) => tiff({ xmp: xmpElement(value) }),
  heic: (value) => heif({ xmp: xmpElement(value) }),
  avif: (value) => heif({ brand: 'avif', imageType: 'av01', xmp: xmpElement(value) }),
  wav: (value) => wav({ aigc: value }),
  opus: (value) => opus({ comments: [`AIGC=${value}`] }),
  mp3: (value) => mp3({ frames: [id3Txxx('AIGC', value)] }),
  flac: (value) => flac({ comments: [`AIGC=${value}`] }),
  m4a: (value) => mp4({ brand: 'M4A ', udta: [mdtaMeta([['AIGC', value]])] }),
  mp4: (value) => mp4({ udta: [mdtaMeta([['AIGC', value]])] }),
  mkv: (value) => matroska({ tags: [['AIGC', value]] }),
  webm: (value) => matroska({ docType: 'webm', tags: [['AIGC', value]] }),
  avi: (value) => avi({ aigc: value }),
  flv: (value) => flv([flvMetadata([['AIGC', value]])]),
  pdf: (value) => pdf(`/AIGC ${pdfString(value)}`),
  docx: (value) => docx({ properties: [['AIGC', value]] }),
  html: (value) => html([['AIGC', value]]),
  md: (value) => markdown(yamlMapping(value)),
};
/** The same files with no label carrier at all. */
const unlabeled = {
  png: () => png(),
  jpg: () => jpeg(),
  webp: () => webp(),
  gif: () => gif(),
  tif: () => tiff(),
  heic: () => heif(),
  avif: () => heif({ brand: 'avif', imageType: 'av01' }),
  wav: () => wav(),
  opus: () => opus(),
  mp3: () => mp3(),
  flac: () => flac(),
  m4a: () => mp4({ brand: 'M4A ' }),
  mp4: () => mp4(),
  mkv: () => matroska(),
  webm: () => matroska({ docType: 'webm' }),
  avi: () => avi(),
  flv: () => flv([flvMetadata([['duration', '1']])]),
  pdf: () => pdf('', 'Hello'),
  docx: () => docx({ paragraph: '一段示例文字。' }),
  html: () => html([], '<p>一段示例文字。</p>'),
  md: () => markdown(null, { prompt: false }),
};
// The labeled text toys carry an explicit prompt too, so that no explicit-missing warning differs them
// from the media formats; the unlabeled ones carry none (a prompt alone is a trace: suspected).
const EXTENSIONS = Object.keys(canonical);
const TEXT = new Set(['pdf', 'docx', 'html', 'md']);

/** @type {{ name: string, what: string, build: () => Uint8Array | string, expect: Record<string, unknown>, gap?: string }[]} */
const cases = [];
const add = (name, what, build, expect, gap) => cases.push({ name, what, build, expect, ...(gap ? { gap } : {}) });

// 1. Toy containers: the canonical carrier, no carrier, an empty carrier, in every format.
// The PDF toy's prompt is English (Helvetica has no CJK glyphs): a wording warning (GB 45438 §5.1).
const PDF_WORDING = 'gb45438/5.1-wording';
for (const ext of EXTENSIONS) {
  const prompt = ext === 'pdf' ? [PDF_WORDING] : [];
  // An empty `AIGC:` key in front matter is also not the mapping the guide shows.
  const emptyForm = ext === 'md' ? ['carrier/non-canonical'] : [];
  add(`toy/labeled.${ext}`, 'the canonical carrier, bare JSON', () => canonical[ext](LABEL), confirmed(prompt));
  add(`toy/unlabeled.${ext}`, 'no carrier', unlabeled[ext], none());
  add(`empty/empty.${ext}`, 'the carrier present but empty (a wiped label)', () => canonical[ext](''), {
    ...none(['carrier/empty', ...prompt, ...emptyForm]),
    ...(TEXT.has(ext) ? { outcome: 'suspected' } : {}),
  });
}
add('empty/whitespace.png', 'the carrier holds only whitespace', () => canonical.png('  \n\t '), none(['carrier/empty']));
add(
  'toy/prompt-only.txt',
  'plain text: an explicit prompt only (a trace, Measures Art. 6(3))',
  () => '本内容由人工智能生成\n\n一段示例文字。\n',
  { ...none(), outcome: 'suspected' },
);
add('toy/prompt-only.md', 'Markdown: an explicit prompt and no front matter', () => markdown(null), { ...none(), outcome: 'suspected' });

// 2. Field rules (Annex E), in the PNG XMP carrier and one other format each.
const fieldCases = [
  [
    'fields/charset.png',
    'a producer name in Chinese (Annex E j))',
    labelJson({ set: { ContentProducer: '示例公司' } }),
    confirmed(['annex-e/charset', 'code/provider-structure']),
  ],
  [
    'fields/space.jpg',
    'a space inside ProduceID (Annex E j))',
    labelJson({ id: 'id with space' }),
    confirmed(['annex-e/charset'], 'id with space'),
  ],
  ['fields/unknown-field.png', 'an eighth field', labelJson({ extra: { Extra: 'x' } }), confirmed(['annex-e/unknown-field'])],
  [
    'fields/misspelt-field.mp4',
    'ContentProducer misspelt',
    labelJson({ set: { ContentProducer: undefined }, extra: { ContentProduser: PROPAGATOR } }),
    confirmed(['annex-e/missing-field', 'annex-e/unknown-field', 'annex-e/empty-producer', 'code/provider-structure']),
  ],
  ['fields/missing-field.png', 'PropagateID missing', labelJson({ set: { PropagateID: undefined } }), confirmed(['annex-e/missing-field'])],
  ['fields/label-2.png', 'Label 2 (possible)', labelJson({ set: { Label: '2' } }), { outcome: 'possible', produceId: ID, findings: [] }],
  ['fields/label-3.flac', 'Label 3 (suspected)', labelJson({ set: { Label: '3' } }), { outcome: 'suspected', produceId: ID, findings: [] }],
  ['fields/label-out-of-range.png', 'Label "4"', labelJson({ set: { Label: '4' } }), confirmed(['annex-e/label-value'])],
  ['fields/label-numeric.wav', 'Label as the number 1', LABEL.replace('"Label":"1"', '"Label":1'), confirmed(['annex-e/field-type'])],
  [
    'fields/empty-producer.png',
    'ContentProducer empty on Label 1',
    labelJson({ set: { ContentProducer: '' } }),
    confirmed(['annex-e/empty-producer', 'code/provider-structure']),
  ],
  ['fields/empty-produce-id.mp3', 'ProduceID empty on Label 1', labelJson({ id: '' }), confirmed(['annex-e/empty-produce-id'], '')],
  [
    'fields/first-write.png',
    'propagation elements empty (Annex E Note 1)',
    labelJson({ set: { ContentPropagator: '', PropagateID: '' } }),
    confirmed(['annex-e/first-write']),
  ],
  [
    'fields/long-value.png',
    'a ProduceID of 3000 characters (annex-e/field-length, info)',
    labelJson({ id: 'x'.repeat(3000) }),
    confirmed([], 'x'.repeat(3000)),
  ],
  ['fields/not-json.png', 'the carrier holds text that is not JSON', 'Label=1;ContentProducer=x', none(['decode/not-json'])],
  ['fields/not-object.png', 'the wrapped form around an array', '{"AIGC":["1"]}', none(['decode/not-object'])],
];
for (const [name, what, value, expect] of fieldCases) {
  const ext = name.slice(name.lastIndexOf('.') + 1);
  add(name, what, () => canonical[ext](value), expect);
}

// 3. Forms: wrapped, XML-escaped, attribute, unusual JSON spacing.
add('forms/wrapped.png', 'the wrapped {"AIGC":{…}} form in XMP', () => canonical.png(wrapped(LABEL)), confirmed());
add('forms/wrapped.mp4', 'the wrapped form in the MP4 key', () => canonical.mp4(wrapped(LABEL)), confirmed());
add(
  'forms/quicktime-meta.mov',
  'moov/udta/meta as a plain QuickTime box (no version and flags)',
  () => mp4({ brand: 'qt  ', udta: [mdtaMeta([['AIGC', LABEL]], { quickTime: true })] }),
  confirmed(),
);
add(
  'forms/moov-meta.mov',
  'the keyed metadata in moov/meta (Apple devices) rather than moov/udta/meta',
  () => mp4({ brand: 'qt  ', moovExtra: [mdtaMeta([['AIGC', LABEL]], { quickTime: true })] }),
  confirmed(),
);
add('forms/attribute.jpg', 'TC260:AIGC as an XMP attribute', () => jpeg([jpegXmp(xmpAttribute(LABEL))]), confirmed());
add(
  'forms/pretty-json.png',
  'JSON with newlines and indentation',
  () => canonical.png(JSON.stringify(JSON.parse(LABEL), null, 2)),
  confirmed(),
);
add(
  'forms/reordered.png',
  'the seven fields in another order',
  () => canonical.png(JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(LABEL)).reverse()))),
  confirmed(),
);
add(
  'forms/xml-escaped.html',
  'the meta content escaped twice (&amp;quot;)',
  () => html([['AIGC', LABEL.replaceAll('"', '&quot;')]]),
  confirmed(),
);

// 4. One label per file: duplicates and disagreeing carriers.
const second = labelJson({ id: 'conformance-0002' });
add(
  'carriers/duplicate-xmp.png',
  'the same XMP packet twice',
  () => png({ xmp: xmpElement(LABEL), chunks: [pngChunk('iTXt', concat([text('XML:com.adobe.xmp\0\0\0\0\0'), text(xmpElement(LABEL))]))] }),
  confirmed(['gb45438/6.1c-one-label']),
);
add(
  'carriers/disagree.png',
  'XMP and a tEXt AIGC chunk with different ProduceIDs',
  () => png({ xmp: xmpElement(LABEL), chunks: [pngText('AIGC', text(wrapped(second)))] }),
  confirmed(['carrier/disagree']),
);
add(
  'carriers/two-comments.flac',
  'two AIGC= comments that disagree',
  () => flac({ comments: [`AIGC=${LABEL}`, `AIGC=${second}`] }),
  confirmed(['carrier/disagree']),
);
add(
  'carriers/two-txxx.mp3',
  'two TXXX:AIGC frames, the same label',
  () => mp3({ frames: [id3Txxx('AIGC', LABEL), id3Txxx('AIGC', LABEL)] }),
  confirmed(['gb45438/6.1c-one-label']),
);
add(
  'carriers/two-keys.mp4',
  'two AIGC keys that disagree',
  () =>
    mp4({
      udta: [
        mdtaMeta([
          ['AIGC', LABEL],
          ['AIGC', second],
        ]),
      ],
    }),
  confirmed(['carrier/disagree']),
);
add(
  'carriers/two-meta.html',
  'two <meta name="AIGC"> that disagree',
  () =>
    html([
      ['AIGC', LABEL],
      ['AIGC', second],
    ]),
  confirmed(['carrier/disagree']),
);
add(
  'carriers/exif-and-xmp.jpg',
  'XMP and the EXIF UserComment alternative carrier, same label',
  () => jpeg([jpegExifUserComment(wrapped(LABEL)), jpegXmp(xmpElement(LABEL))]),
  confirmed(['gb45438/6.1c-one-label']),
);

// 5. Non-canonical carriers other writers use (issue 25 item 6): read, flagged, never written.
add(
  'non-canonical/png-text-utf8.png',
  'PNG tEXt AIGC holding UTF-8 (a Chinese producer name)',
  () => png({ chunks: [pngText('AIGC', text(wrapped(labelJson({ set: { ContentProducer: '中文公司' } }))))] }),
  confirmed(['carrier/non-canonical', 'annex-e/charset', 'code/provider-structure']),
);
add(
  'non-canonical/exif-ifd0.jpg',
  'EXIF UserComment in IFD0 instead of the Exif IFD',
  () => jpeg([jpegExifUserComment(wrapped(LABEL), { inIfd0: true })]),
  confirmed(['carrier/non-canonical']),
);
add(
  'non-canonical/udta-aigc.mp4',
  'a literal moov/udta/aigc box holding the JSON',
  () => mp4({ udta: [box('aigc', text(LABEL))] }),
  confirmed(['carrier/non-canonical']),
);
add(
  'non-canonical/nul-key.mp4',
  'the mdta key written as "AIGC\\0"',
  () => mp4({ udta: [mdtaMeta([['AIGC', LABEL]], { keyBytes: (k) => text(`${k}\0`) })] }),
  confirmed([]),
);
add(
  'non-canonical/xmp-unqualified.png',
  'XMP with the label fields as attributes without a namespace',
  () => png({ xmp: xmpPacketUnqualified() }),
  confirmed(['carrier/non-canonical']),
);
add(
  'non-canonical/gif-wrong-auth.gif',
  'a GIF application extension with XMP under another authentication code',
  () => gif({ extensions: [gifXmpExtension(xmpElement(LABEL), 'XMP Data\0\0\0')] }),
  confirmed(['carrier/non-canonical']),
);
add(
  'non-canonical/key-lowercase.md',
  'front matter key "aigc" in lower case',
  () => markdown(yamlMapping(LABEL).replace('AIGC:', 'aigc:')),
  confirmed(['carrier/non-canonical']),
);
add(
  'non-canonical/json-string.md',
  'front matter AIGC as a JSON string instead of a mapping',
  () => markdown(`AIGC: '${LABEL}'\n`),
  confirmed(['carrier/non-canonical']),
);

function xmpPacketUnqualified() {
  const fields = Object.entries(JSON.parse(LABEL))
    .map(([k, v]) => `${k}="${v}"`)
    .join(' ');
  return `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""><AIGC ${fields}/></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;
}

// 6. Damaged containers whose label carrier is intact (issue 25 item 2): the label counts, with a damaged finding.
const damaged = (findings = []) => confirmed(['format/damaged', ...findings]);
add('damaged/png-no-ihdr.png', 'a PNG without IHDR', () => png({ xmp: xmpElement(LABEL), header: false }), damaged());
add(
  'damaged/png-bad-crc.png',
  'the XMP chunk has a wrong CRC',
  () => {
    const bytes = canonical.png(LABEL);
    const end = find(bytes, 'IDAT') - 4;
    return withByte(bytes, end - 1, bytes[end - 1] ^ 0xff);
  },
  damaged(),
);
add('damaged/png-truncated.png', 'a partial upload: cut inside IDAT, after the XMP chunk', () => cut(canonical.png(LABEL), -14), damaged());
add(
  'damaged/jpeg-sos-no-header.jpg',
  'a JPEG whose SOS has no header',
  () => jpeg([jpegXmp(xmpElement(LABEL))], Uint8Array.of(0xff, 0xda, 0, 0, 0xff, 0xd9)),
  damaged(),
);
add(
  'damaged/jpeg-extraneous-bytes.jpg',
  '3 extraneous bytes before the XMP APP1 marker',
  () => jpeg([Uint8Array.of(0, 0, 0), jpegXmp(xmpElement(LABEL))]),
  damaged(),
);
add('damaged/jpeg-truncated.jpg', 'cut inside the entropy-coded data', () => cut(canonical.jpg(LABEL), -6), damaged());
add(
  'damaged/gif-no-trailer.gif',
  'a GIF without its trailer byte',
  () => gif({ extensions: [gifXmpExtension(xmpElement(LABEL))], trailer: false }),
  damaged(),
);
add(
  'damaged/webp-riff-size.webp',
  'a RIFF size past the end',
  () => {
    const bytes = canonical.webp(LABEL);
    const out = bytes.slice();
    new DataView(out.buffer).setUint32(4, bytes.length + 100, true);
    return out;
  },
  damaged(),
);
add(
  'damaged/wav-data-ffffffff.wav',
  'a data size of 0xFFFFFFFF (streaming writers)',
  () => wav({ aigc: LABEL, dataSize: 0xffffffff }),
  damaged(),
);
add('damaged/wav-truncated.wav', 'a WAV cut inside data', () => cut(canonical.wav(LABEL), -100), damaged());
add('damaged/avi-no-movi.avi', 'an AVI without movi', () => avi({ aigc: LABEL, movi: false }), damaged());
add('damaged/avi-riff-size.avi', 'an AVI whose RIFF size runs past the end', () => avi({ aigc: LABEL, riffSizeError: 1000 }), damaged());
add('damaged/ogg-zero-crc.opus', 'Ogg pages with a zero CRC', () => opus({ comments: [`AIGC=${LABEL}`], crc: false }), damaged());
add(
  'toy/ogg-other-stream-first.opus',
  'another logical stream (its BOS page) before the Opus stream',
  () => opus({ comments: [`AIGC=${LABEL}`], firstStream: [oggPage(text('\x01unknown stream header'), { serial: 7, type: 2 })] }),
  confirmed(),
);
add(
  'damaged/mp3-id3-size-large.mp3',
  'an ID3v2 size 10 bytes too large',
  () => mp3({ frames: [id3Txxx('AIGC', LABEL)], sizeError: 10 }),
  damaged(),
);
add('damaged/mp4-trailing-16.mp4', '16 bytes after the last box', () => append(canonical.mp4(LABEL), garbage(16)), damaged());
add(
  'damaged/mp4-trailing-copy.mp4',
  'a second copy of the file appended',
  () => append(canonical.mp4(LABEL), canonical.mp4(LABEL)),
  damaged(),
);
add(
  'damaged/mp4-free-short.mp4',
  'a closing free box 4 bytes short',
  () => cut(append(canonical.mp4(LABEL), box('free', garbage(24))), -4),
  damaged(),
);
add('damaged/mp4-truncated-mdat.mp4', 'a partial upload: cut inside mdat, moov first', () => cut(canonical.mp4(LABEL), -4), damaged());
add('damaged/m4a-trailing-4k.m4a', '4 KiB after the last box', () => append(canonical.m4a(LABEL), garbage(4096)), damaged());
add('damaged/heic-trailing.heic', '16 bytes after the last box', () => append(canonical.heic(LABEL), garbage(16)), damaged());
add(
  'damaged/mkv-segment-size.mkv',
  'a Segment size a few bytes too large',
  () => matroska({ tags: [['AIGC', LABEL]], segmentSizeError: 5 }),
  damaged(),
);
add(
  'damaged/flv-unknown-tag-first.flv',
  'an unknown tag type before onMetaData',
  () => flv([flvTag(0x0f, garbage(32)), flvMetadata([['AIGC', LABEL]])]),
  damaged(),
);
add(
  'damaged/flv-metadata-last.flv',
  'onMetaData after the media tags',
  () => concat([flv([]), flvMetadata([['AIGC', LABEL]])]),
  confirmed(),
);
add(
  'damaged/zip-no-central-directory.docx',
  'a DOCX without its central directory',
  () => docx({ properties: [['AIGC', LABEL]], centralDirectory: false }),
  damaged(),
);
add(
  'damaged/pdf-no-xref.pdf',
  'a PDF whose startxref points nowhere',
  () => {
    const s = new TextDecoder('latin1').decode(canonical.pdf(LABEL));
    return Uint8Array.from(s.replace(/startxref\n\d+/, 'startxref\n999999'), (c) => c.charCodeAt(0));
  },
  confirmed(['pdf/xref-damaged', PDF_WORDING]),
);
add(
  'damaged/html-invalid-utf8.html',
  'HTML with a few invalid UTF-8 bytes',
  () => {
    const bytes = text(canonical.html(LABEL));
    const at = find(bytes, '一段');
    return concat([bytes.subarray(0, at), Uint8Array.of(0xff, 0xfe, 0xc3), bytes.subarray(at)]);
  },
  confirmed(['format/damaged']),
);
add(
  'damaged/md-invalid-utf8.md',
  'Markdown with a few invalid UTF-8 bytes in the body',
  () => {
    const bytes = text(canonical.md(LABEL));
    const at = find(bytes, '一段');
    return concat([bytes.subarray(0, at), Uint8Array.of(0xff, 0xfe, 0xc3), bytes.subarray(at)]);
  },
  confirmed(['format/damaged']),
);

// 7. Truncated carriers: the label itself is cut, so there is no label, and the file says why.
add(
  'truncated/png-in-xmp.png',
  'a partial upload that ends inside the XMP chunk',
  () => {
    const bytes = canonical.png(LABEL);
    return cut(bytes, find(bytes, 'ProduceID'));
  },
  none(['format/damaged']),
);
add(
  'truncated/mp3-in-txxx.mp3',
  'a partial upload that ends inside the TXXX frame',
  () => {
    const bytes = canonical.mp3(LABEL);
    return cut(bytes, find(bytes, 'ProduceID'));
  },
  none(['format/damaged', 'carrier/unreadable']),
);
add(
  'truncated/mp3-after-txxx.mp3',
  'a partial upload that ends in the ID3 padding after the TXXX frame',
  () => cut(canonical.mp3(LABEL), 10 + id3Txxx('AIGC', LABEL).length + 16),
  damaged(),
);
add(
  'truncated/json-cut.png',
  'the label JSON itself cut short inside an intact chunk',
  () => canonical.png(LABEL.slice(0, 60)),
  none(['decode/not-json']),
);

// 8. Polyglots (issue 25 item 5): the bytes fit two formats; labels are looked for under each, and
// each reading reports its own damage (JPEG magic with no JPEG after it; a PDF whose startxref is not at the end).
add(
  'polyglot/jpeg-ftyp.jpg',
  'JPEG magic followed by an ftyp box',
  () => concat([Uint8Array.of(0xff, 0xd8), canonical.mp4(LABEL).subarray(0)]),
  confirmed(['format/ambiguous', 'format/damaged']),
);
add(
  'polyglot/pdf-zip.pdf',
  'a PDF with a labeled DOCX appended',
  () => concat([pdf('', ''), canonical.docx(LABEL)]),
  confirmed(['format/ambiguous']),
);
add(
  'polyglot/png-zip.png',
  'an unlabeled PNG with a labeled DOCX appended',
  () => concat([png(), canonical.docx(LABEL)]),
  confirmed(['format/ambiguous']),
);

// 9. Unknown structures before the carrier: readers skip what they don't know.
add(
  'skip/png-unknown-chunk.png',
  'an unknown ancillary chunk before the XMP chunk',
  () => png({ before: [pngChunk('prVt', garbage(64))], xmp: xmpElement(LABEL) }),
  confirmed(),
);
add(
  'skip/jpeg-app-segments.jpg',
  'APP2..APP15 segments before the XMP segment',
  () =>
    jpeg([
      ...Array.from({ length: 14 }, (_, i) => concat([Uint8Array.of(0xff, 0xe2 + i, 0, 18), garbage(16)])),
      jpegXmp(xmpElement(LABEL)),
    ]),
  confirmed(),
);
add(
  'skip/wav-unknown-chunks.wav',
  'unknown chunks (one of odd size) before AIGC',
  () =>
    wav({
      aigc: LABEL,
      before: [
        concat([text('junk'), Uint8Array.of(3, 0, 0, 0), garbage(3), Uint8Array.of(0)]),
        concat([text('bext'), Uint8Array.of(8, 0, 0, 0), garbage(8)]),
      ],
    }),
  confirmed(),
);
add('skip/wav-aigc-after-data.wav', 'the AIGC chunk after data', () => wav({ aigc: LABEL, afterData: true }), confirmed());
add(
  'skip/mp4-boxes-before-moov.mp4',
  'free, skip and an unknown box before moov',
  () => mp4({ udta: [mdtaMeta([['AIGC', LABEL]])], before: [box('free', garbage(20)), box('skip', garbage(8)), box('zzzz', garbage(40))] }),
  confirmed(),
);
add(
  'skip/mp4-moov-last.mp4',
  'moov after mdat',
  () => {
    const bytes = canonical.mp4(LABEL);
    const ftypEnd = 24;
    const moovStart = ftypEnd;
    const moovSize = new DataView(bytes.buffer, bytes.byteOffset).getUint32(moovStart);
    return concat([bytes.subarray(0, ftypEnd), bytes.subarray(moovStart + moovSize), bytes.subarray(moovStart, moovStart + moovSize)]);
  },
  confirmed(),
);
add(
  'skip/mkv-tags-after-cluster.mkv',
  'Tags after the Cluster',
  () => matroska({ tags: [['AIGC', LABEL]], clusterFirst: true }),
  confirmed(),
);
add(
  'skip/mkv-void-before-tags.mkv',
  'an EBML Void element inside Tags',
  () => matroska({ tags: [['AIGC', LABEL]], voidInTags: 8 }),
  confirmed(),
);
add(
  'skip/flv-script-tag-first.flv',
  'another script tag before onMetaData',
  () => flv([flvTag(18, concat([Uint8Array.of(2, 0, 5), text('onCue'), Uint8Array.of(5)])), flvMetadata([['AIGC', LABEL]])]),
  confirmed(),
);
add(
  'skip/gif-comment-first.gif',
  'a comment extension before the XMP extension',
  () => gif({ extensions: [Uint8Array.of(0x21, 0xfe, 5, ...text('hello'), 0), gifXmpExtension(xmpElement(LABEL))] }),
  confirmed(),
);
add(
  'skip/webp-unknown-chunk.webp',
  'an unknown chunk before the picture',
  () => webp({ xmp: xmpElement(LABEL), before: [concat([text('ZZZZ'), Uint8Array.of(5, 0, 0, 0), garbage(5), Uint8Array.of(0)])] }),
  confirmed(),
);

export { cases };

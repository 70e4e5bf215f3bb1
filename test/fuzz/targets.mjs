/**
 * Fuzz targets (issue 15 item 3): one per format handler's `read` and `write`, the facade's
 * detect and label pipelines, and each decoder of a label value (the label text, XMP, provider
 * codes, wording, explicit text labels). Inputs come from structure-aware generators (the
 * conformance corpus's container builders filled with generated label values and structures)
 * and from mutations of seeds (the conformance corpus and the hostile cases at small sizes).
 *
 * The property of every target: the call returns, or throws a one-line toolkit error. A
 * TypeError, RangeError or any other error is a finding; so is a write that succeeds but
 * whose output does not read back with our label, a changed input, or a call slower than
 * SLOW_MS on these small inputs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bytesSource,
  checkWording,
  createLabel,
  decodeLabel,
  findAigcInXmp,
  materialize,
  parseProviderCode,
  providerCodeProblems,
  validateLabel,
  xmpCarriers,
} from '@aigc-label/core';
import { findExplicitLabels } from '@aigc-label/text';
import { defaultRegistry, detectBuffer, labelBuffer } from 'aigc-label';
import fc from 'fast-check';
import { hashMp4Packets, readMp4Packets } from '../../packages/video/dist/mp4/packets.js';
import * as toy from '../conformance/containers.mjs';
import { box, concat, jpegSegment, pngChunk, riffChunk, text } from '../hostile/build.mjs';

export const TOOLKIT_ERRORS = new Set([
  'UnknownFormatError',
  'UnsupportedFormatError',
  'MalformedInputError',
  'LimitExceededError',
  'UnsafeXmlError',
  'InvalidLabelError',
  'LabelConflictError',
  'UsageError',
  'FileError',
]);
/**
 * Findings already reported, with a reproducer, to be fixed in the library (see README.md):
 * they are counted and printed, not failed on, so that fuzzing goes on past them; `--strict`
 * fails on them too. Remove an entry when its fix lands (none is open today).
 * @type {{ target: RegExp, message: RegExp, note: string }[]}
 */
export const KNOWN_FINDINGS = [];
const knownFinding = (target, message) => KNOWN_FINDINGS.find((k) => k.target.test(target) && k.message.test(message));

/** A call on an input of at most a few hundred KiB that takes longer than this is a finding. */
export const SLOW_MS = 5_000;
const PRODUCER = '001191440300708461136T1XGW3';
const LABEL = createLabel({ producer: PRODUCER, produceId: 'fuzz-write-0001' });

/**
 * Runs `work`; throws a finding unless it returns or throws a one-line toolkit error (or one of
 * `alsoAllowed`), in time.
 */
async function toolkitOutcome(what, work, alsoAllowed = []) {
  const started = performance.now();
  let result;
  try {
    result = await work();
  } catch (error) {
    const name = error?.name ?? typeof error;
    const message = String(error?.message ?? error);
    if (!TOOLKIT_ERRORS.has(name) && !alsoAllowed.includes(name))
      throw new Error(`${what}: not a toolkit error: ${name}: ${message.slice(0, 300)}`);
    if (message.includes('\n')) throw new Error(`${what}: a ${name} message of several lines: ${JSON.stringify(message.slice(0, 120))}`);
    result = undefined;
  }
  const ms = performance.now() - started;
  if (ms > SLOW_MS) throw new Error(`${what}: took ${Math.round(ms)} ms`);
  return result;
}

// ------------------------------------------------------------------ label values

const asciiField = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
const anyField = fc.oneof(
  asciiField,
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', ' ', '1', '2', '3', '4', PRODUCER, '示例公司', '\u0000', '"', '\\', '&quot;', 'x'.repeat(3000)),
);
const fieldName = fc.constantFrom(
  'Label',
  'ContentProducer',
  'ProduceID',
  'ReservedCode1',
  'ContentPropagator',
  'PropagateID',
  'ReservedCode2',
  'AIGC',
  'label',
  'Extra',
);
const labelObject = fc.oneof(
  fc.record({
    Label: fc.constantFrom('1', '2', '3'),
    ContentProducer: anyField,
    ProduceID: anyField,
    ReservedCode1: anyField,
    ContentPropagator: anyField,
    PropagateID: anyField,
    ReservedCode2: anyField,
  }),
  fc.dictionary(fieldName, fc.oneof(anyField, fc.integer(), fc.constant(null), fc.array(anyField, { maxLength: 3 })), { maxKeys: 9 }),
);
/** Values a label carrier may hold: JSON in every form the decoder accepts, and what it must refuse. */
export const labelValue = fc.oneof(
  { weight: 4, arbitrary: labelObject.map((o) => JSON.stringify(o)) },
  { weight: 2, arbitrary: labelObject.map((o) => JSON.stringify({ AIGC: o })) },
  labelObject.map((o) => JSON.stringify(o, null, 2)),
  labelObject.map((o) => JSON.stringify(o).replaceAll('"', '&quot;')),
  labelObject.map((o) => `AIGC=${JSON.stringify(o)}`),
  labelObject.map((o) => `${JSON.stringify(o)}\0\0`),
  labelObject.map((o) => `\uFEFF ${JSON.stringify(o)} `),
  labelObject.map(
    (o) =>
      `AIGC:\n${Object.entries(o)
        .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)
        .join('\n')}`,
  ),
  fc.json({ maxDepth: 4 }),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('', '   ', '{', '{"AIGC":', '{"AIGC":[]}', '[{}]', 'null', '{"Label":"1"', '{"a":'.repeat(200)),
);

// ------------------------------------------------------------------ mutations

const interesting32 = fc.constantFrom(0, 1, 7, 8, 16, 0x7f, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff);
const tokens = [
  'AIGC',
  'TC260:AIGC',
  '<TC260:AIGC>',
  'xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"',
  '<?xpacket begin',
  'moov',
  'udta',
  'meta',
  'keys',
  'ilst',
  'mdat',
  'ftyp',
  'IEND',
  'iTXt',
  'tEXt',
  'OggS',
  'LIST',
  'INFO',
  'RIFF',
  'ID3',
  'TXXX',
  'fLaC',
  'onMetaData',
  '\x12\x54\xc3\x67',
  '\x18\x53\x80\x67',
  '\x1a\x45\xdf\xa3',
  '\xff\xd8',
  '\xff\xe1',
  '\xff\xda',
  'PK\x03\x04',
  'PK\x01\x02',
  'PK\x05\x06',
  '%PDF-1.7',
  'obj',
  'endobj',
  'stream\n',
  'xref',
  'trailer',
  'startxref',
  '/AIGC',
  '<<',
  '>>',
  '---\n',
  '<meta name="AIGC" content="',
  '<!--',
  '<![CDATA[',
  '<!DOCTYPE x [<!ENTITY a "aaaa">]>',
  '&a;',
];
const latin1Bytes = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip'), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('u32'), at: fc.nat(), value: interesting32, littleEndian: fc.boolean() }),
  fc.record({ op: fc.constant('insert'), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ op: fc.constant('token'), at: fc.nat(), token: fc.constantFrom(...tokens) }),
  fc.record({ op: fc.constant('delete'), at: fc.nat(), length: fc.integer({ min: 1, max: 256 }) }),
  fc.record({ op: fc.constant('copy'), from: fc.nat(), length: fc.integer({ min: 1, max: 512 }), to: fc.nat() }),
  fc.record({ op: fc.constant('cut'), at: fc.nat() }),
);
function mutate(bytes, ops) {
  let out = bytes;
  for (const m of ops) {
    const n = out.length;
    const at = n === 0 ? 0 : m.at % (n + 1);
    if (m.op === 'flip' && n > 0) {
      out = out.slice();
      out[at % n] = m.value;
    } else if (m.op === 'u32' && n >= 4) {
      out = out.slice();
      new DataView(out.buffer).setUint32(Math.min(at, n - 4), m.value, m.littleEndian);
    } else if (m.op === 'insert' || m.op === 'token') {
      out = concat([out.subarray(0, at), m.op === 'insert' ? m.bytes : latin1Bytes(m.token), out.subarray(at)]);
    } else if (m.op === 'delete') {
      out = concat([out.subarray(0, at), out.subarray(at + m.length)]);
    } else if (m.op === 'copy' && n > 0) {
      const from = m.from % n;
      const slice = out.subarray(from, from + m.length);
      const to = m.to % (n + 1);
      out = concat([out.subarray(0, to), slice, out.subarray(to)]);
    } else if (m.op === 'cut') {
      out = out.subarray(0, at);
    }
  }
  return out;
}
const mutated = (base) => fc.tuple(base, fc.array(mutation, { minLength: 1, maxLength: 5 })).map(([bytes, ops]) => mutate(bytes, ops));

// ------------------------------------------------------------------ seeds

const here = import.meta.dirname;
const corpusDir = join(here, '..', 'conformance', 'files');
const registry = defaultRegistry;
function corpusFiles(dir = corpusDir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...corpusFiles(path));
    else out.push(path);
  }
  return out;
}
/** Seeds per format id: the conformance files whose extension names it, and the hostile cases at 10 elements. */
export async function seeds() {
  const byFormat = new Map();
  const add = (format, bytes) => {
    if (!format) return;
    if (!byFormat.has(format)) byFormat.set(format, []);
    byFormat.get(format).push(bytes);
  };
  for (const path of corpusFiles())
    add(registry.byExtension(path.slice(path.lastIndexOf('.') + 1))?.id, new Uint8Array(readFileSync(path)));
  const hostileDir = join(here, '..', 'hostile');
  for (const module of readdirSync(hostileDir).filter((f) => f.endsWith('.mjs') && !['build.mjs', 'run-case.mjs'].includes(f))) {
    const { cases } = await import(join(hostileDir, module));
    for (const c of cases) {
      try {
        add(c.format, c.build(10));
      } catch {
        // a case that cannot build at 10 elements seeds nothing
      }
    }
  }
  return byFormat;
}

// ------------------------------------------------------------------ structure-aware generators

const bytesOrValue = fc.oneof(
  labelValue.map((v) => text(v)),
  fc.uint8Array({ maxLength: 300 }),
);
const xmpOf = fc.oneof(
  labelValue.map((v) => toy.xmpElement(v)),
  labelValue.map((v) => toy.xmpAttribute(v)),
  fc.tuple(labelValue, fc.constantFrom('TC260', 'tc', 'x')).map(([v, prefix]) => toy.xmpElement(v).replaceAll('TC260', prefix)),
  fc.string({ maxLength: 300 }),
);
const fourcc = (known) => fc.oneof(fc.constantFrom(...known), fc.string({ unit: 'grapheme-ascii', minLength: 4, maxLength: 4 }));

const pngGen = fc
  .record({
    header: fc.boolean(),
    xmp: fc.option(xmpOf),
    before: fc.array(fc.tuple(fourcc(['tEXt', 'iTXt', 'zTXt', 'eXIf', 'caBX', 'IDAT', 'IEND', 'PLTE']), bytesOrValue), { maxLength: 4 }),
    text: fc.option(labelValue),
  })
  .map(({ header, xmp, before, text: t }) =>
    toy.png({
      header,
      xmp,
      before: before.map(([type, data]) => pngChunk(type, data)),
      chunks: t === null ? [] : [toy.pngText('AIGC', text(t))],
    }),
  );

const jpegGen = fc
  .record({
    segments: fc.array(
      fc.oneof(
        xmpOf.map((x) => toy.jpegXmp(x)),
        fc.tuple(labelValue, fc.boolean()).map(([v, inIfd0]) => toy.jpegExifUserComment(v, { inIfd0 })),
        fc.tuple(fc.integer({ min: 0xe0, max: 0xfe }), fc.uint8Array({ maxLength: 200 })).map(([m, p]) => jpegSegment(m, p)),
      ),
      { maxLength: 4 },
    ),
    body: fc.boolean(),
  })
  .map(({ segments, body }) => toy.jpeg(segments, body ? toy.JPEG_BODY : Uint8Array.of(0xff, 0xd9)));

const riffChunkGen = (ids) => fc.tuple(fourcc(ids), bytesOrValue).map(([id, data]) => riffChunk(id, data));
const webpGen = fc
  .record({ xmp: fc.option(xmpOf), before: fc.array(riffChunkGen(['ICCP', 'EXIF', 'ANIM', 'ALPH']), { maxLength: 3 }) })
  .map((o) => toy.webp(o));
const gifGen = fc
  .record({
    extensions: fc.array(
      fc.oneof(
        fc
          .tuple(xmpOf, fc.constantFrom('XMP DataXMP', 'XMP Data\0\0\0', 'NETSCAPE2.0', 'ICCRGBG1012'))
          .map(([x, id]) => toy.gifXmpExtension(x, id)),
        fc.uint8Array({ maxLength: 40 }).map((b) => concat([Uint8Array.of(0x21, 0xfe, b.length), b, Uint8Array.of(0)])),
      ),
      { maxLength: 3 },
    ),
    trailer: fc.boolean(),
  })
  .map((o) => toy.gif(o));
const tiffGen = fc.option(xmpOf).map((xmp) => toy.tiff({ xmp }));
const heifGen = fc
  .record({ brand: fc.constantFrom('heic', 'avif', 'mif1'), xmp: fc.option(xmpOf) })
  .map(({ brand, xmp }) => toy.heif({ brand, imageType: brand === 'avif' ? 'av01' : 'hvc1', xmp }));
const wavGen = fc
  .record({
    aigc: fc.option(labelValue),
    before: fc.array(riffChunkGen(['LIST', 'bext', 'JUNK', 'id3 ', 'AIGC']), { maxLength: 3 }),
    afterData: fc.boolean(),
    dataSize: fc.option(interesting32, { nil: undefined }),
  })
  .map((o) => toy.wav(o));
const commentsGen = fc.array(
  fc.oneof(
    labelValue.map((v) => `AIGC=${v}`),
    fc.string({ maxLength: 40 }),
  ),
  { maxLength: 4 },
);
const oggGen = fc.record({ comments: commentsGen, crc: fc.boolean() }).map((o) => toy.opus(o));
const flacGen = fc.option(commentsGen).map((comments) => toy.flac({ comments }));
const mp3Gen = fc
  .record({
    frames: fc.array(
      fc.oneof(
        fc.tuple(fc.constantFrom('AIGC', 'aigc', 'AIGC\0', ''), labelValue).map(([d, v]) => toy.id3Txxx(d, v)),
        fc
          .tuple(fc.constantFrom('TIT2', 'XYZW', 'APIC', 'Date', '\0\0\0\0'), fc.uint8Array({ maxLength: 60 }))
          .map(([id, b]) => concat([text(id), Uint8Array.of(0, 0, 0, b.length, 0, 0), b])),
      ),
      { maxLength: 4 },
    ),
    sizeError: fc.integer({ min: -20, max: 20 }),
  })
  .map((o) => toy.mp3(o));
const keyEntry = fc.tuple(fc.constantFrom('AIGC', 'AIGC\0', 'aigc', 'com.apple.quicktime.make'), labelValue);
const mp4Gen = fc
  .record({
    brand: fc.constantFrom('isom', 'M4A ', 'qt  ', 'mp42'),
    udta: fc.array(
      fc.oneof(
        fc.tuple(fc.array(keyEntry, { maxLength: 3 }), fc.boolean()).map(([entries, quickTime]) => toy.mdtaMeta(entries, { quickTime })),
        labelValue.map((v) => box('aigc', text(v))),
        fc.uint8Array({ maxLength: 40 }).map((b) => box('free', b)),
      ),
      { maxLength: 3 },
    ),
    before: fc.array(
      fc.tuple(fourcc(['free', 'skip', 'wide', 'uuid', 'moov']), fc.uint8Array({ maxLength: 40 })).map(([t, b]) => box(t, b)),
      { maxLength: 2 },
    ),
    withMoov: fc.boolean(),
  })
  .map((o) => toy.mp4(o));
const matroskaGen = fc
  .record({
    docType: fc.constantFrom('matroska', 'webm'),
    tags: fc.array(fc.tuple(fc.constantFrom('AIGC', 'aigc', 'TITLE'), labelValue), { maxLength: 3 }),
    segmentSizeError: fc.integer({ min: -10, max: 10 }),
    clusterFirst: fc.boolean(),
    voidInTags: fc.integer({ min: 0, max: 20 }),
  })
  .map((o) => toy.matroska(o));
const aviGen = fc
  .record({ aigc: fc.option(labelValue), movi: fc.boolean(), riffSizeError: fc.integer({ min: -20, max: 20 }) })
  .map((o) => toy.avi(o));
const flvGen = fc
  .array(
    fc.oneof(
      fc.array(fc.tuple(fc.constantFrom('AIGC', 'aigc', 'duration'), labelValue), { maxLength: 3 }).map((p) => toy.flvMetadata(p)),
      fc.tuple(fc.integer({ min: 0, max: 31 }), fc.uint8Array({ maxLength: 40 })).map(([t, d]) => toy.flvTag(t, d)),
    ),
    { maxLength: 3 },
  )
  .map((tags) => toy.flv(tags));
const pdfGen = fc
  .tuple(labelValue, fc.constantFrom('/AIGC', '/aigc', '/AIGC /AIGC', '/Title'), fc.boolean())
  .map(([v, key, hex]) =>
    toy.pdf(`${key} ${hex ? `<${Buffer.from(v).toString('hex')}>` : toy.pdfString(v.replace(/[^\x20-\x7e]/g, '?'))}`),
  );
const docxGen = fc
  .record({
    properties: fc.array(fc.tuple(fc.constantFrom('AIGC', 'aigc', 'Other'), labelValue), { maxLength: 3 }),
    centralDirectory: fc.boolean(),
  })
  .map((o) => toy.docx(o));
const htmlGen = fc
  .tuple(fc.array(fc.tuple(fc.constantFrom('AIGC', 'aigc', 'description'), labelValue), { maxLength: 3 }), fc.string({ maxLength: 100 }))
  .map(([metas, body]) => text(toy.html(metas, body)));
const markdownGen = fc
  .tuple(
    fc.option(
      fc.oneof(
        labelValue.map((v) => toy.yamlMapping(v)),
        fc.string({ maxLength: 200 }),
      ),
    ),
    fc.boolean(),
  )
  .map(([front, prompt]) => text(toy.markdown(front === null ? null : front.endsWith('\n') ? front : `${front}\n`, { prompt })));
const plainGen = fc.string({ maxLength: 300 }).map((s) => text(s));

const structured = {
  png: pngGen,
  jpeg: jpegGen,
  webp: webpGen,
  gif: gifGen,
  tiff: tiffGen,
  heif: heifGen,
  avif: heifGen,
  wav: wavGen,
  ogg: oggGen,
  mp3: mp3Gen,
  flac: flacGen,
  m4a: mp4Gen,
  mp4: mp4Gen,
  matroska: matroskaGen,
  avi: aviGen,
  flv: flvGen,
  pdf: pdfGen,
  ooxml: docxGen,
  html: htmlGen,
  markdown: markdownGen,
  txt: plainGen,
};

/** Inputs for one format: its structure generator, with and without mutations, and mutated seeds. */
function inputsFor(format, seedList) {
  const gen = structured[format];
  const options = [];
  if (gen) options.push({ weight: 3, arbitrary: gen }, { weight: 3, arbitrary: mutated(gen) });
  if (seedList?.length) options.push({ weight: 4, arbitrary: mutated(fc.constantFrom(...seedList)) });
  if (options.length === 0) options.push({ weight: 1, arbitrary: fc.uint8Array({ maxLength: 2000 }) });
  return fc.oneof(...options);
}

// ------------------------------------------------------------------ targets

const sameBytes = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
const hex = (bytes) => Buffer.from(bytes).toString('hex');

/**
 * Every target: `{ name, arbitrary, run(input) }`; `run` throws a finding. A finding listed in
 * KNOWN_FINDINGS throws only with `strict`; otherwise it goes to `onSoftFinding(target,
 * message, input)` and fuzzing goes on.
 * @param {{ strict?: boolean, onSoftFinding?: (target: string, message: string, input: unknown) => void }} [options]
 */
export async function targets({ strict = false, onSoftFinding = () => {} } = {}) {
  const seedMap = await seeds();
  const list = [];
  for (const handler of registry.list()) {
    const seedList = seedMap.get(handler.id) ?? [];
    // The first read of a format loads its modules (text formats take a second or two): not a finding.
    for (const seed of seedList.slice(0, 1)) await handler.read(bytesSource(seed)).catch(() => {});
    const input = inputsFor(handler.id, seedList);
    const extension = handler.extensions[0];
    list.push({
      name: `read:${handler.id}`,
      arbitrary: input,
      run: async (bytes) => {
        const copy = bytes.slice();
        await toolkitOutcome(`${handler.id} read`, () => handler.read(bytesSource(bytes)));
        if (!sameBytes(copy, bytes)) throw new Error(`${handler.id} read changed its input`);
      },
    });
    if (handler.write) {
      list.push({
        name: `write:${handler.id}`,
        arbitrary: input,
        run: async (bytes) => {
          const copy = bytes.slice();
          const source = bytesSource(bytes);
          const plan = await toolkitOutcome(`${handler.id} write`, () => handler.write(source, LABEL));
          if (!sameBytes(copy, bytes)) throw new Error(`${handler.id} write changed its input`);
          if (!plan) return;
          const output = await materialize(plan, source);
          const read = await toolkitOutcome(`${handler.id} read of its own output`, () => handler.read(bytesSource(output)));
          if (!read) throw new Error(`${handler.id}: write succeeded but its output does not read back (a toolkit error)`);
          if (!read.carriers.some((c) => c.label?.ProduceID === LABEL.ProduceID)) {
            throw new Error(`${handler.id}: write succeeded but its output has no carrier with the label`);
          }
        },
      });
    }
    list.push({
      name: `detect:${handler.id}`,
      arbitrary: input,
      run: (bytes) =>
        toolkitOutcome(`detect .${extension}`, () => detectBuffer(bytes, { filename: `x.${extension}`, audible: false, ocr: false })),
    });
    if (handler.write) {
      list.push({
        name: `label:${handler.id}`,
        arbitrary: input,
        run: async (bytes) => {
          // The pipeline reads its output back: a write the reader cannot find ends in a clean
          // WriteVerificationError here, and is a finding of the write: target.
          const result = await toolkitOutcome(
            `label .${extension}`,
            () => labelBuffer(bytes, { producer: PRODUCER, explicit: false, force: true, filename: `x.${extension}` }),
            ['WriteVerificationError'],
          );
          if (result && !result.bytes) throw new Error('label returned no bytes');
        },
      });
    }
  }
  list.push(
    {
      // The visible video label's packet index: every sample table of a file it is asked to label (issue 16).
      name: 'decode:mp4-packets',
      arbitrary: inputsFor('mp4', seedMap.get('mp4') ?? []),
      run: async (bytes) => {
        const index = await toolkitOutcome('mp4 packet index', () => readMp4Packets(bytesSource(bytes)));
        if (index?.ok) await toolkitOutcome('mp4 packet hashes', () => hashMp4Packets(bytesSource(bytes), index.tracks));
      },
    },
    {
      name: 'decode:label',
      arbitrary: labelValue,
      run: (value) =>
        toolkitOutcome('decodeLabel', () => {
          const decoded = decodeLabel(value);
          if (decoded.label) validateLabel(decoded.label, 'read');
        }),
    },
    {
      name: 'decode:xmp',
      arbitrary: fc.oneof(
        xmpOf,
        mutated(xmpOf.map((x) => text(x))).map((b) => new TextDecoder().decode(b)),
      ),
      run: (xml) =>
        toolkitOutcome('xmp', () => {
          findAigcInXmp(xml);
          xmpCarriers(xml, 'fuzz', 0);
        }),
    },
    {
      name: 'decode:provider-code',
      arbitrary: fc.oneof(anyField, fc.string({ unit: 'grapheme-ascii', minLength: 27, maxLength: 27 })),
      run: (value) =>
        toolkitOutcome('provider code', () => {
          parseProviderCode(value);
          providerCodeProblems(value, 'producer');
        }),
    },
    {
      name: 'decode:wording',
      arbitrary: fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.constantFrom('本内容由人工智能生成', 'AI生成', '【AI生成】', 'Generated by AI'),
      ),
      run: (value) => toolkitOutcome('wording', () => checkWording(value)),
    },
    {
      name: 'decode:explicit-text',
      arbitrary: fc
        .array(
          fc.oneof(
            fc.string({ maxLength: 40 }),
            fc.constantFrom('本内容由人工智能生成', '声明：', '，请仔细甄别', '内容疑似由AI生成', '\n', '。', 'AI', '生成'),
          ),
          { maxLength: 30 },
        )
        .map((parts) => parts.join('')),
      run: (value) => toolkitOutcome('explicit text', () => findExplicitLabels(value)),
    },
  );
  return list.map((target) => ({
    ...target,
    run: async (input) => {
      try {
        await target.run(input);
      } catch (error) {
        const message = String(error?.message ?? error);
        if (strict || !knownFinding(target.name, message)) throw error;
        onSoftFinding(target.name, message, input);
      }
    },
  }));
}

/** How to reproduce a failing input: its bytes as hex (or the string as JSON). */
export const describeInput = (input) =>
  typeof input === 'string' ? JSON.stringify(input).slice(0, 2000) : `${input.length} bytes: ${hex(input).slice(0, 4000)}`;

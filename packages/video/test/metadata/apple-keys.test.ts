/**
 * QuickTime files that already carry an mdta keys table (issue 13 item 1), built byte by byte in
 * Apple's layout, and the key variants other writers produce (issue 25 items 3 and 6).
 */
import { bytesSource, concat, createLabel, encodeBare, isobmff, labelBytes, putU32be, u32be, utf8 } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, OTHER_PRODUCER, sampleLabel } from '../../../../test/handler-contract.js';
import { withTool } from '../../../../test/oracles.js';
import { mp4 } from '../../src/mp4/index.js';
import { debianProbeTags, exiftoolTags, frameMd5, makeClip } from './clips.js';

type Box = isobmff.Box;

const APPLE_KEYS: readonly [string, string][] = [
  ['com.apple.quicktime.make', 'Apple'],
  ['com.apple.quicktime.model', 'iPhone 15 Pro'],
  ['com.apple.quicktime.software', '17.1.2'],
  ['com.apple.quicktime.creationdate', '2024-01-02T03:04:05+0800'],
  ['com.apple.quicktime.location.ISO6709', '+31.2304+121.4737+004.000/'],
];

const keyEntry = (name: string): Uint8Array => {
  const out = concat([new Uint8Array(4), utf8('mdta'), utf8(name)]);
  putU32be(out, 0, out.length);
  return out;
};

/** An ilst item: u32 size, u32 1-based key index, a UTF-8 `data` atom (type 1, locale 0). */
const keyedItem = (index: number, value: string): Uint8Array => {
  const item = isobmff.makeBox('....', isobmff.makeBox('data', concat([Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0), utf8(value)])));
  putU32be(item, 4, index);
  return item;
};

/**
 * A meta box as Apple devices write it: hdlr `mdta`, keys, ilst. The QuickTime form (moov/meta on
 * an iPhone) has no version/flags word; the ISO form (a FullBox) has one.
 */
function mdtaMeta(entries: readonly (readonly [string, string])[], form: 'quicktime' | 'iso'): Uint8Array {
  const hdlr = isobmff.makeFullBox('hdlr', 0, 0, concat([new Uint8Array(4), utf8('mdta'), new Uint8Array(13)]));
  const count = new Uint8Array(4);
  putU32be(count, 0, entries.length);
  const keys = isobmff.makeFullBox('keys', 0, 0, [count, ...entries.map(([name]) => keyEntry(name))]);
  const ilst = isobmff.makeBox(
    'ilst',
    entries.map(([, value], i) => keyedItem(i + 1, value)),
  );
  return form === 'iso' ? isobmff.makeFullBox('meta', 0, 0, [hdlr, keys, ilst]) : isobmff.makeBox('meta', [hdlr, keys, ilst]);
}

const topLevel = (bytes: Uint8Array) => isobmff.listBoxesIn(bytes, 0, bytes.length, 'mp4');
const moovOf = (bytes: Uint8Array): Box => {
  const moov = topLevel(bytes).find((b) => b.type === 'moov');
  if (!moov) throw new Error('no moov');
  return moov;
};
const childrenOf = (bytes: Uint8Array, box: Box) => isobmff.listBoxesIn(bytes, box.offset + box.headerSize, box.end, 'mp4');

/** `input` (a MOV with its moov at the end) with extra boxes in moov (`place` 'moov') or in its udta. */
function withBoxes(input: Uint8Array, place: 'moov' | 'udta', boxes: readonly Uint8Array[]): Uint8Array {
  const moov = moovOf(input);
  const parts = childrenOf(input, moov).map((child) =>
    place === 'udta' && child.type === 'udta'
      ? isobmff.makeBox('udta', [input.subarray(child.offset + child.headerSize, child.end), ...boxes])
      : input.subarray(child.offset, child.end),
  );
  if (place === 'moov') parts.push(...boxes);
  if (place === 'udta' && !childrenOf(input, moov).some((c) => c.type === 'udta')) parts.push(isobmff.makeBox('udta', boxes));
  return concat([input.subarray(0, moov.offset), isobmff.makeBox('moov', parts), input.subarray(moov.end)]);
}

interface MetaView {
  readonly path: string;
  readonly keys: Uint8Array[];
  readonly items: Uint8Array[];
}

/** Every meta in moov and moov/udta with its key entries and ilst items as bytes. */
function metas(bytes: Uint8Array): MetaView[] {
  const moov = moovOf(bytes);
  const found: MetaView[] = [];
  const view = (meta: Box, path: string) => {
    const body = meta.offset + meta.headerSize;
    const start = u32be(bytes, body) === 0 ? body + 4 : body;
    const children = isobmff.listBoxesIn(bytes, start, meta.end, 'mp4');
    const keysBox = children.find((c) => c.type === 'keys');
    const keys: Uint8Array[] = [];
    if (keysBox) {
      for (let at = keysBox.offset + 16; at < keysBox.end; at += u32be(bytes, at)) keys.push(bytes.subarray(at, at + u32be(bytes, at)));
    }
    const ilst = children.find((c) => c.type === 'ilst');
    const items = ilst ? childrenOf(bytes, ilst).map((item) => bytes.subarray(item.offset, item.end)) : [];
    found.push({ path, keys, items });
  };
  for (const child of childrenOf(bytes, moov)) {
    if (child.type === 'meta') view(child, 'moov/meta');
    if (child.type === 'udta') for (const g of childrenOf(bytes, child)) if (g.type === 'meta') view(g, 'moov/udta/meta');
  }
  return found;
}

const withKeys = (views: readonly MetaView[]) => views.filter((m) => m.keys.length > 0);

const layouts = {
  'moov/meta in the QuickTime form (iPhone)': () => withBoxes(makeClip('clip.mov'), 'moov', [mdtaMeta(APPLE_KEYS, 'quicktime')]),
  'moov/udta/meta in the ISO form': () => withBoxes(makeClip('clip.mov'), 'udta', [mdtaMeta(APPLE_KEYS, 'iso')]),
};

describe('QuickTime files that already have an mdta keys table (issue 13)', () => {
  for (const [layout, build] of Object.entries(layouts)) {
    describe(layout, () => {
      describeHandlerContract(mp4, build);

      it('adds the AIGC key to that table: one keys table, every key entry and ilst item kept byte for byte', async () => {
        const input = build();
        const label = sampleLabel();
        const { bytes } = await labelBytes(mp4, input, label);
        const [before] = withKeys(metas(input));
        const after = withKeys(metas(bytes));
        expect(after).toHaveLength(1);
        expect(after[0]?.path).toBe(before?.path);
        expect(after[0]?.keys).toEqual([...(before?.keys ?? []), keyEntry('AIGC')]);
        expect(after[0]?.items).toEqual([...(before?.items ?? []), keyedItem(APPLE_KEYS.length + 1, encodeBare(label))]);
        // The moov is at the end: everything before it is the input's bytes.
        const moov = moovOf(input);
        expect(bytes.subarray(0, moov.offset)).toEqual(input.subarray(0, moov.offset));
        expect(frameMd5(bytes, 'mov')).toEqual(frameMd5(input, 'mov'));
        const read = await mp4.read(bytesSource(bytes));
        expect(read.carriers.map((c) => [c.location.split(' ')[0], c.canonical, c.label])).toEqual([[before?.path, true, label]]);
      });

      withTool('ffprobe')("Debian's ffprobe shows AIGC under its own name and every Apple key unchanged", async () => {
        const input = build();
        const label = sampleLabel();
        const { bytes } = await labelBytes(mp4, input, label);
        const before = debianProbeTags(input, 'mov');
        expect(before['com.apple.quicktime.make']).toBe('Apple');
        expect(debianProbeTags(bytes, 'mov')).toEqual({ ...before, AIGC: encodeBare(label) });
      });

      withTool('exiftool')('ExifTool shows Keys:AIGC and every tag it read before unchanged', async () => {
        const input = build();
        const label = sampleLabel();
        const { bytes } = await labelBytes(mp4, input, label);
        const before = exiftoolTags(input, 'mov');
        expect(before['Keys:Model']).toBe('iPhone 15 Pro');
        expect(exiftoolTags(bytes, 'mov')).toEqual({ ...before, 'Keys:AIGC': encodeBare(label) });
      });

      it('relabeling replaces the AIGC entry in the same table', async () => {
        const first = await labelBytes(mp4, build(), sampleLabel({ ProduceID: 'first', PropagateID: 'first' }));
        const label = sampleLabel();
        const { bytes } = await labelBytes(mp4, first.bytes, label);
        const after = withKeys(metas(bytes));
        expect(after).toHaveLength(1);
        expect(after[0]?.keys).toEqual([...APPLE_KEYS.map(([name]) => keyEntry(name)), keyEntry('AIGC')]);
        expect((await mp4.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([label]);
      });
    });
  }

  withTool('ffprobe')('folds an earlier label kept in a keys table of its own into the Apple table', async () => {
    const old = sampleLabel({ ProduceID: 'old', PropagateID: 'old' });
    // What a labeler that always made its own moov/udta/meta left: that table first, Apple's after it.
    const withOwnTable = withBoxes(makeClip('clip.mov'), 'udta', [mdtaMeta([['AIGC', encodeBare(old)]], 'iso')]);
    const input = withBoxes(withOwnTable, 'moov', [mdtaMeta(APPLE_KEYS, 'quicktime')]);
    expect(debianProbeTags(input, 'mov')['com.apple.quicktime.make']).toBeUndefined();
    const label = sampleLabel();
    const { bytes } = await labelBytes(mp4, input, label);
    expect(withKeys(metas(bytes)).map((m) => m.path)).toEqual(['moov/meta']);
    expect(debianProbeTags(bytes, 'mov')).toMatchObject({ 'com.apple.quicktime.make': 'Apple', AIGC: encodeBare(label) });
  });
});

describe('mdta keys as other writers store them (issue 25)', () => {
  const labeledWith = (name: string, value: string) =>
    withBoxes(makeClip('clip.mov'), 'udta', [
      mdtaMeta(
        [
          ['com.example.studio', 'Acme'],
          [name, value],
        ],
        'iso',
      ),
    ]);

  it('reads a key stored as "AIGC\\0" as the AIGC key (names compared without trailing NULs, issue 25 item 3) and writes it back as "AIGC"', async () => {
    const old = sampleLabel({ ProduceID: 'nul', PropagateID: 'nul' });
    const input = labeledWith('AIGC\0', encodeBare(old));
    const read = await mp4.read(bytesSource(input));
    expect(read.carriers.map((c) => [c.canonical, c.label])).toEqual([[true, old]]);
    expect(read.carriers[0]?.findings.map((f) => [f.rule, f.severity])).toEqual([['carrier/non-canonical', 'info']]);
    const label = sampleLabel();
    const { bytes } = await labelBytes(mp4, input, label);
    const [meta] = withKeys(metas(bytes));
    expect(meta?.keys).toEqual([keyEntry('com.example.studio'), keyEntry('AIGC')]);
    expect((await mp4.read(bytesSource(bytes))).carriers.map((c) => [c.canonical, c.label])).toEqual([[true, label]]);
  });

  it('reads a label under another key as non-canonical, and moves it to the AIGC key', async () => {
    const other = createLabel({ producer: OTHER_PRODUCER, produceId: 'other-key' });
    const input = labeledWith('com.example.provenance', encodeBare(other));
    const read = await mp4.read(bytesSource(input));
    expect(read.carriers.map((c) => [c.carrier, c.canonical, c.label])).toEqual([['mp4-mdta', false, other]]);
    expect(read.carriers[0]?.findings.map((f) => f.rule)).toContain('carrier/non-canonical');
    const label = sampleLabel();
    const { bytes, findings } = await labelBytes(mp4, input, label, { force: true });
    expect((await mp4.read(bytesSource(bytes))).carriers.map((c) => [c.location, c.label])).toEqual([
      ['moov/udta/meta keys "AIGC" (ilst item 3)', label],
    ]);
    expect(findings.map((f) => f.message).join('\n')).toMatch(/took the label out of moov\/udta\/meta keys "com.example.provenance"/);
    // The key stays in the table (item numbers do not move); only its label value is gone.
    expect(withKeys(metas(bytes))[0]?.keys).toEqual([keyEntry('com.example.studio'), keyEntry('com.example.provenance'), keyEntry('AIGC')]);
  });

  it('leaves a keyed value that is not a label alone', async () => {
    const input = labeledWith('com.example.note', 'ContentProducer of this clip: Acme');
    expect((await mp4.read(bytesSource(input))).carriers).toEqual([]);
    const { bytes } = await labelBytes(mp4, input, sampleLabel());
    expect(withKeys(metas(bytes))[0]?.items[1]).toEqual(keyedItem(2, 'ContentProducer of this clip: Acme'));
  });

  it('reads a literal moov/udta/aigc box as non-canonical, and moves the label to the AIGC key', async () => {
    const old = sampleLabel({ ProduceID: 'box', PropagateID: 'box' });
    const input = withBoxes(makeClip('clip.mov'), 'udta', [isobmff.makeBox('aigc', utf8(encodeBare(old)))]);
    const read = await mp4.read(bytesSource(input));
    expect(read.carriers.map((c) => [c.carrier, c.canonical, c.label])).toEqual([['mp4-udta-aigc', false, old]]);
    expect(read.carriers[0]?.findings.map((f) => f.rule)).toContain('carrier/non-canonical');
    const label = sampleLabel();
    const { bytes, findings } = await labelBytes(mp4, input, label);
    expect((await mp4.read(bytesSource(bytes))).carriers.map((c) => [c.carrier, c.label])).toEqual([['mp4-mdta', label]]);
    expect(findings.map((f) => f.message).join('\n')).toMatch(/took the label out of the moov\/udta\/aigc box/);
  });

  it('reports an empty udta/aigc box as a carrier with no label', async () => {
    const input = withBoxes(makeClip('clip.mov'), 'udta', [isobmff.makeBox('aigc', new Uint8Array(0))]);
    const read = await mp4.read(bytesSource(input));
    expect(read.carriers.map((c) => [c.carrier, c.label])).toEqual([['mp4-udta-aigc', null]]);
    expect(read.carriers[0]?.findings.map((f) => f.rule)).toContain('carrier/empty');
  });
});

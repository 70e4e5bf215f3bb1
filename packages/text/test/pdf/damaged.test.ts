import { ascii, bytesSource, fromLatin1, LabelConflictError, LimitExceededError, labelBytes, MalformedInputError } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../../test/handler-contract.js';
import { cases } from '../../../../test/hostile/text.mjs';
import { pdf } from '../../src/pdf/index.js';

const hostile = (id: string) => {
  const found = cases.find((c) => c.id === id);
  if (!found) throw new Error(`no case ${id}`);
  return found;
};

/** A classic-table PDF around an Info dictionary given as text. */
function withInfo(info: string): Uint8Array {
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [] /Count 0 >>', info];
  let text = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(text.length);
    text += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = text.length;
  text += `xref\n0 4\n0000000000 65535 f\r\n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n\r\n`).join('')}`;
  text += `trailer\n<< /Size 4 /Root 1 0 R /Info 3 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return ascii(text);
}

const json = JSON.stringify(sampleLabel()).replace(/[()\\]/g, '\\$&');

describe('PDF Info entries we do not understand (issue 13)', () => {
  it('keeps Info entries that do not parse byte for byte, with a finding, and still reads /AIGC', async () => {
    const info = `<< /Title (Report) /Bad <zz> /AIGC (${json}) /Junk foo bar /Count [1 2 /x >>`;
    const input = withInfo(info);
    const read = await pdf.read(bytesSource(input));
    expect(read.carriers.map((c) => c.label)).toEqual([sampleLabel()]);
    expect(read.findings.find((f) => f.rule === 'pdf/info-entry-kept')?.message).toBe(
      'Info entries that do not parse (/Bad, /Junk, /Count) are kept byte for byte',
    );
    const label = sampleLabel({ ProduceID: 'new-1', PropagateID: 'new-1' });
    const { bytes, findings } = await labelBytes(pdf, input, label);
    expect(findings.map((f) => f.rule)).toContain('pdf/info-entry-kept');
    const update = fromLatin1(bytes.subarray(input.length));
    expect(update).toMatch(/<<\/Title \(Report\) \/AIGC \(.*\) \/Bad <zz> \/Junk foo bar \/Count \[1 2 \/x >>/);
    expect((await pdf.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([label]);
  });

  it('fails closed on an /AIGC entry it cannot read, and reports an empty one as empty', async () => {
    for (const value of ['<zz>', '42', '[(a) (b)]', '99 0 R']) {
      const input = withInfo(`<< /Title (x) /AIGC ${value} >>`);
      const read = await pdf.read(bytesSource(input));
      expect(read.carriers.map((c) => [c.label, c.findings.map((f) => f.rule)])).toEqual([[null, ['carrier/unreadable']]]);
      await expect(labelBytes(pdf, input, sampleLabel())).rejects.toBeInstanceOf(LabelConflictError);
      const { bytes } = await labelBytes(pdf, input, sampleLabel(), { force: true });
      expect((await pdf.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([sampleLabel()]);
    }
    for (const value of ['()', '(   )', '<FEFF>', '<FEFF0020>']) {
      const input = withInfo(`<< /AIGC ${value} >>`);
      const [carrier] = (await pdf.read(bytesSource(input))).carriers;
      expect([carrier?.label, carrier?.findings.map((f) => [f.rule, f.severity])]).toEqual([null, [['carrier/empty', 'warning']]]);
      const { bytes } = await labelBytes(pdf, input, sampleLabel());
      expect((await pdf.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([sampleLabel()]);
    }
  });
});

describe('PDF hostile input (issue 15)', () => {
  it('bounds cross-reference entries by the file size, whatever the stream declares', async () => {
    const empty = hostile('pdf/xref-stream-entries');
    await expect(pdf.read(bytesSource(empty.build(empty.sizes[2])))).rejects.toThrow(
      /declares 10000000 cross-reference entries, more than a 331-byte file can hold/,
    );
    // Fewer rows than the budget, but /W [0 0 0]: the rows take no bytes, so the file is read by scanning and never written.
    const small = empty.build(empty.sizes[0]);
    const read = await pdf.read(bytesSource(small));
    expect(read.findings.map((f) => f.rule)).toContain('pdf/xref-damaged');
    await expect(labelBytes(pdf, small, sampleLabel())).rejects.toThrow(/\/W \[0 0 0\]/);
    const bomb = hostile('pdf/xref-stream-bomb');
    await expect(pdf.read(bytesSource(bomb.build(bomb.sizes[1])))).rejects.toBeInstanceOf(LimitExceededError);
    const table = hostile('pdf/xref-table-entries');
    const big = table.build(table.sizes[1]);
    expect((await pdf.read(bytesSource(big))).carriers).toEqual([]);
    expect((await labelBytes(pdf, big, sampleLabel())).bytes.length).toBeGreaterThan(big.length);
  });

  it('reads a 2 MB Info string and copies it, and refuses one over the object limit', async () => {
    const huge = hostile('pdf/info-huge-string');
    const input = huge.build(huge.sizes[1]);
    const { bytes } = await labelBytes(pdf, input, sampleLabel());
    expect(fromLatin1(bytes.subarray(input.length))).toContain(`/Subject (${'A'.repeat(huge.sizes[1])})`);
    await expect(pdf.read(bytesSource(huge.build(huge.sizes[2])))).rejects.toThrow(/over 16777216 bytes/);
    const unterminated = hostile('pdf/info-unterminated-string');
    await expect(pdf.read(bytesSource(unterminated.build(unterminated.sizes[0])))).rejects.toBeInstanceOf(MalformedInputError);
    await expect(pdf.read(bytesSource(unterminated.build(unterminated.sizes[2])))).rejects.toBeInstanceOf(LimitExceededError);
  });

  it('bounds dictionary entries, array items and nesting', async () => {
    const entries = hostile('pdf/info-entries');
    expect((await pdf.read(bytesSource(entries.build(entries.sizes[1])))).carriers.map((c) => c.label)).toHaveLength(1);
    await expect(pdf.read(bytesSource(entries.build(entries.sizes[2])))).rejects.toThrow(/has over 10000 entries/);
    const nested = hostile('pdf/nested-arrays');
    await expect(pdf.read(bytesSource(nested.build(nested.sizes[2])))).rejects.toThrow(/nested deeper than 64 levels/);
  });

  it('walks a page tree only as deep as its bound, never around a loop, and reads long content', async () => {
    const deep = hostile('pdf/page-tree-depth');
    const read = await pdf.read(bytesSource(deep.build(deep.sizes[0])));
    expect(read.findings.map((f) => f.message)).toContain(
      'the pages were not searched for an explicit label: the page tree is deeper than 256 levels',
    );
    const loop = hostile('pdf/page-tree-kids');
    expect((await pdf.read(bytesSource(loop.build(loop.sizes[1])))).carriers).toEqual([]);
    const content = hostile('pdf/content-operators');
    expect((await pdf.read(bytesSource(content.build(content.sizes[1])))).findings).toEqual([]);
  });

  it('keeps the two ends of a page with millions of characters, so a label line drawn last is still found', async () => {
    const content = hostile('pdf/content-operators');
    const explicit = pdf.explicit;
    if (!explicit || !('labeler' in explicit) || explicit.labeler.input !== 'bytes') throw new Error('no labeler');
    const { bytes } = await explicit.labeler.apply(content.build(content.sizes[2]), {});
    const read = await pdf.read(bytesSource(bytes));
    expect(read.evidence?.map((e) => e.detail)).toEqual(['explicit label "本内容由人工智能生成"']);
  });
});

describe('PDF salvage (issue 25)', () => {
  const original = withInfo('<< /Title (Report) >>');
  const labeled = async () => (await labelBytes(pdf, original, sampleLabel())).bytes;
  const text = (bytes: Uint8Array) => fromLatin1(bytes);

  it('reads the label of an incremental update cut before its startxref (a partial upload), and refuses to write', async () => {
    const full = await labeled();
    const cut = full.subarray(0, text(full).lastIndexOf('endobj') + 3);
    const read = await pdf.read(bytesSource(cut));
    expect(read.carriers.map((c) => c.label)).toEqual([sampleLabel()]);
    expect(read.findings.find((f) => f.rule === 'pdf/xref-damaged')?.message).toMatch(
      /the file ends inside an incremental update \(objects follow the last startxref\)/,
    );
    await expect(labelBytes(pdf, cut, sampleLabel())).rejects.toThrow(/no update can be appended/);
  });

  it('makes up a trailer from the objects found when no trailer parses: the catalog and the object holding /AIGC', async () => {
    const full = text(await labeled());
    const broken = ascii(full.replaceAll('trailer', 'trai1er').replaceAll('startxref', 'startxrex'));
    const read = await pdf.read(bytesSource(broken));
    expect(read.carriers.map((c) => c.label)).toEqual([sampleLabel()]);
    expect(read.findings.map((f) => f.rule)).toContain('pdf/xref-damaged');
    // Nothing that holds a label or a catalog: still refused.
    await expect(pdf.read(bytesSource(ascii('%PDF-1.4\n1 0 obj\n<< /A 1 >>\nendobj\n')))).rejects.toThrow(/no trailer was found/);
  });

  it('reads the whole members of a label whose JSON a flipped byte broke, in a damaged file', async () => {
    const full = text(await labeled());
    const flipped = full.replace('"Label"', '"Label\u00f8').replace('trailer', 'trailør');
    const read = await pdf.read(bytesSource(Uint8Array.from(flipped, (c) => c.charCodeAt(0))));
    const [carrier] = read.carriers;
    const { Label: _, ...rest } = sampleLabel();
    expect(carrier?.label).toMatchObject(rest);
    expect(carrier?.findings.find((f) => f.rule === 'format/damaged')?.message).toBe(
      'the label text does not parse as JSON in this damaged file; 6 whole field(s) were read from it',
    );
  });
});

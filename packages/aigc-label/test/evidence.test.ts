/** The evidence readers wired into detect and verify: traces other than the label decide `suspected`, and only they. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { detectBuffer, verifyBuffer } from 'aigc-label';
import { describe, expect, it } from 'vitest';
import { samples } from '../../evidence/test/media.js';
import { signC2pa } from '../../evidence/test/sign.js';

const fixture = (name: string) =>
  new Uint8Array(readFileSync(fileURLToPath(new URL(`../../evidence/test/fixtures/c2pa-rs/${name}`, import.meta.url))));

describe('C2PA through verify', async () => {
  const png = (await samples()).find((s) => s.mimeType === 'image/png')!;
  const signed = await signC2pa(png.bytes, png.mimeType);

  it('a validated manifest asserting generative AI makes an unlabeled file suspected, citing it', async () => {
    const report = await verifyBuffer(signed, { filename: 'a.png' });
    expect(report.outcome).toBe('suspected');
    expect(report.basis).toContain('c2pa-manifest');
    // The PNG module's own notice of the caBX chunk is replaced by the validated reading: one entry.
    expect(report.evidence.filter((e) => e.kind === 'c2pa-manifest')).toHaveLength(1);
    expect(report.evidence[0]?.validation?.state).toBe('Valid');
    expect(report.basis).toMatch(
      /^no metadata label or declaration; strongest trace: c2pa-manifest \(c2pa\) at PNG caBX chunk at byte \d+/,
    );
  });

  it('every evidence entry says why it is or is not a trace', async () => {
    const report = await verifyBuffer(fixture('CA.jpg'), { filename: 'CA.jpg' });
    expect(report.evidence.length).toBeGreaterThan(0);
    for (const e of report.evidence) expect(e.reason, e.kind).toMatch(/\S/);
  });

  it('the same picture unsigned is none, and so is the signed one with the readers turned off', async () => {
    expect((await verifyBuffer(png.bytes, { filename: 'a.png' })).outcome).toBe('none');
    const off = await detectBuffer(signed, { filename: 'a.png', evidenceReaders: [] });
    expect(off.evidence.every((e) => e.validation === undefined)).toBe(true);
  });

  it('an invalid manifest is evidence that says so, with a finding', async () => {
    const report = await verifyBuffer(fixture('E-sig-CA.jpg'), { filename: 'E-sig-CA.jpg' });
    expect(report.evidence.map((e) => [e.kind, e.validation?.state])).toEqual([['c2pa-manifest', 'Invalid']]);
    expect(report.findings.map((f) => f.rule)).toContain('c2pa/invalid');
  });

  it('a reader that fails is a finding, not a failed file', async () => {
    const failing = { name: 'broken', read: async () => Promise.reject(new Error('boom')) };
    const report = await detectBuffer(png.bytes, { filename: 'a.png', evidenceReaders: [failing] });
    expect(report.findings.map((f) => [f.rule, f.message])).toContainEqual(['evidence/unread', 'broken: boom']);
  });
});

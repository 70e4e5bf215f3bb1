/**
 * Real-world label variants vendors ship (field notes 2026-12), each written into a file by
 * ffmpeg where it can write the carrier, and read with the right ProduceID and findings and
 * without a wrong outcome.
 */
import { detectBuffer, verifyBuffer } from 'aigc-label';
import { describe, expect, it } from 'vitest';
import { clip, ffmpeg, gradient, tone, withPngText } from '../../evidence/test/media.js';

const rules = (findings: readonly { rule: string; message: string }[], prefix = 'annex-e/') =>
  findings.filter((f) => f.rule.startsWith(prefix)).map((f) => `${f.rule}: ${f.message}`);

describe('label variants seen in vendors’ files', () => {
  it('Kling MP4: "ReservedCode1":null in the mdta AIGC key', async () => {
    const json =
      '{"Label":"1","ContentProducer":"001191110108335469089C00000","ProduceID":"kling-7f3a","ReservedCode1":null,"ContentPropagator":"001191110108335469089C00000","PropagateID":"kling-7f3a","ReservedCode2":null}';
    const report = await verifyBuffer(ffmpeg('k.mp4', [...clip, '-movflags', 'use_metadata_tags', '-metadata', `AIGC=${json}`]), {
      filename: 'k.mp4',
    });
    expect([report.outcome, report.label?.ProduceID, report.label?.ReservedCode1]).toEqual(['confirmed', 'kling-7f3a', '']);
    expect(rules(report.findings)).toEqual([
      'annex-e/null-field: field ReservedCode1 is null; Annex E values are strings (read as "")',
      'annex-e/null-field: field ReservedCode2 is null; Annex E values are strings (read as "")',
    ]);
  });

  it('Qwen PNG: tEXt AIGC, keys out of order, a ProduceID with / and :', async () => {
    const json =
      '{"ProduceID":"qwen/img:2025-11-03:8f1e","ContentProducer":"001191440101MA9Y9T4H7A00000","Label":"1","ReservedCode2":"","PropagateID":"qwen/img:2025-11-03:8f1e","ContentPropagator":"001191440101MA9Y9T4H7A00000","ReservedCode1":""}';
    const png = new Uint8Array(await gradient().png().toBuffer());
    const report = await verifyBuffer(withPngText(png, 'AIGC', json), { filename: 'q.png' });
    expect([report.outcome, report.label?.ProduceID]).toEqual(['confirmed', 'qwen/img:2025-11-03:8f1e']);
    expect(rules(report.findings)).toEqual([]);
    expect(report.carriers.map((c) => c.carrier)).toEqual(['png-text']);
  });

  it('iFlytek MP3: five fields and PropagateID "%!s(MISSING)"', async () => {
    const json =
      '{"Label":"1","ContentProducer":"001191340100711771143J00000","ProduceID":"xf-0042","ContentPropagator":"001191340100711771143J00000","PropagateID":"%!s(MISSING)"}';
    const report = await verifyBuffer(ffmpeg('x.mp3', [...tone, '-c:a', 'libmp3lame', '-metadata', `AIGC=${json}`]), {
      filename: 'x.mp3',
      audible: false,
    });
    expect([report.outcome, report.label?.ProduceID, report.label?.PropagateID]).toEqual(['confirmed', 'xf-0042', '%!s(MISSING)']);
    expect(rules(report.findings)).toEqual([
      'annex-e/missing-field: field ReservedCode1 is missing',
      'annex-e/missing-field: field ReservedCode2 is missing',
      `annex-e/placeholder: PropagateID holds "%!s(MISSING)", a leftover of the writer's template, not a value`,
    ]);
  });

  it('single-line front matter AIGC: {json}', async () => {
    const markdown =
      '---\nAIGC: {"Label":"1","ContentProducer":"001191110105MACJ6K1C8A00000","ProduceID":"md-1","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}\n---\n\n# 标题\n\n正文。\n';
    const report = await verifyBuffer(new TextEncoder().encode(markdown), { filename: 'a.md' });
    expect([report.outcome, report.label?.ProduceID]).toEqual(['confirmed', 'md-1']);
    expect(rules(report.findings).filter((f) => !f.startsWith('annex-e/first-write'))).toEqual([]);
  });

  it('misspelt field names (ReserveCode1, Propagator, PropatorID) with a did-you-mean', async () => {
    const json =
      '{"Label":"1","ContentProducer":"001191110102MACQD9K64000000","ProduceID":"db-9","ReserveCode1":"","Propagator":"001191110102MACQD9K64000000","PropatorID":"db-9","ReservedCode2":""}';
    const report = await detectBuffer(ffmpeg('m.mp4', [...clip, '-movflags', 'use_metadata_tags', '-metadata', `AIGC=${json}`]), {
      filename: 'm.mp4',
    });
    expect(report.label?.ProduceID).toBe('db-9');
    expect(rules(report.findings).filter((f) => f.startsWith('annex-e/unknown-field'))).toEqual([
      'annex-e/unknown-field: field "ReserveCode1" is not an Annex E element; did you mean "ReservedCode1"?',
      'annex-e/unknown-field: field "Propagator" is not an Annex E element; did you mean "ContentPropagator"?',
      'annex-e/unknown-field: field "PropatorID" is not an Annex E element; did you mean "PropagateID"?',
    ]);
  });

  it('escaped JSON inside a reserved field is kept as the field’s text', async () => {
    const reserved = '{\\"SecurityData\\":{\\"Type\\":\\"TC260PG\\",\\"AlgID\\":\\"1.2.156.10197.1.501\\"}}';
    const json = `{"Label":"1","ContentProducer":"001191110108MA01XXXX0X20001","ProduceID":"s-1","ReservedCode1":"${reserved}","ContentPropagator":"","PropagateID":"","ReservedCode2":""}`;
    const report = await verifyBuffer(ffmpeg('s.flac', [...tone, '-metadata', `AIGC=${json}`]), { filename: 's.flac', audible: false });
    expect(report.outcome).toBe('confirmed');
    expect(JSON.parse(report.label?.ReservedCode1 ?? '')).toEqual({ SecurityData: { Type: 'TC260PG', AlgID: '1.2.156.10197.1.501' } });
  });
});

#!/usr/bin/env node
/**
 * A content platform checking an upload (Measures Art. 6): verify, show the
 * prompt the outcome calls for, then add the platform's propagation elements.
 * Run: node examples/platform-upload-check.mjs
 */
import { createLabel, labelBuffer, newProduceId, propagateBuffer, verifyBuffer } from 'aigc-label';
import sharp from 'sharp';

const PLATFORM_CODE = '001191110108MA01XXXX0X20001'; // the platform's own code (service type 2)
const picture = () =>
  sharp({ create: { width: 512, height: 512, channels: 3, background: '#446688' } })
    .png()
    .toBuffer();

// Three uploads: one labeled by its producer, one unlabeled but declared by the user, one neither.
const labeled = (await labelBuffer(new Uint8Array(await picture()), { label: createLabel({ producer: '001191440300708461136T1XGW3' }) }))
  .bytes;
const uploads = [
  { name: 'labeled.png', bytes: labeled, declared: false },
  { name: 'declared.png', bytes: new Uint8Array(await picture()), declared: true },
  { name: 'plain.png', bytes: new Uint8Array(await picture()), declared: false },
];

for (const upload of uploads) {
  const verdict = await verifyBuffer(upload.bytes, { filename: upload.name, declared: upload.declared });
  console.log(`${upload.name}: ${verdict.outcome} — show "${verdict.prompt ?? '(no prompt; offer a declaration)'}" (${verdict.basis})`);
  const result = await propagateBuffer(upload.bytes, {
    filename: upload.name,
    declared: upload.declared,
    propagator: PLATFORM_CODE,
    propagateId: newProduceId(),
  });
  if (result.label) {
    const l = result.label.label;
    console.log(`  wrote Label ${l.Label}, producer ${l.ContentProducer || '(unknown)'}, propagator ${l.ContentPropagator}`);
  }
}

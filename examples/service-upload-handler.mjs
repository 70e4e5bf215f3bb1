#!/usr/bin/env node
/**
 * A platform's upload handler calling the verification service (`aigc-label serve`) with Node's
 * fetch: send the upload as the body, read the CLI's verify report back, show the prompt the
 * Measures Art. 6 outcome calls for. Any language with an HTTP client does the same; curl:
 *
 *   curl -T photo.jpg http://127.0.0.1:8080/v1/verify/                     (PUT, name from the path)
 *   curl --data-binary @photo.jpg -H 'X-Filename: photo.jpg' 'http://127.0.0.1:8080/v1/verify?declared=true'
 *   curl -F file=@photo.jpg http://127.0.0.1:8080/v1/verify                (multipart)
 *   curl -H "Authorization: Bearer $(cat token)" --data-binary @photo.jpg -D - -o published.jpg \
 *        'http://127.0.0.1:8080/v1/propagate?platform=001191110108MA01XXXX0X20001'  (X-Aigc-Report: base64url JSON)
 *
 * Run: node examples/service-upload-handler.mjs FILE... (AIGC_SERVICE_URL, default http://127.0.0.1:8080)
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

const service = process.env.AIGC_SERVICE_URL ?? 'http://127.0.0.1:8080';

/** What the platform shows beside an upload: the prompt, or nothing; refusals come back as error reports. */
async function checkUpload(bytes, name, { declared = false } = {}) {
  const response = await fetch(`${service}/v1/verify?declared=${declared}`, {
    method: 'POST',
    body: bytes,
    // X-Filename is percent-encoded UTF-8; the service uses it only for the report and the extension.
    headers: { 'content-type': 'application/octet-stream', 'x-filename': encodeURIComponent(name) },
  });
  const report = await response.json();
  if (!response.ok) return { ok: false, status: response.status, reason: `${report.error.name}: ${report.error.message}` };
  return { ok: true, outcome: report.outcome, prompt: report.prompt, producer: report.label?.ContentProducer ?? null };
}

for (const path of process.argv.slice(2)) {
  const result = await checkUpload(await readFile(path), basename(path));
  if (!result.ok) console.log(`${basename(path)}: refused (${result.status}) ${result.reason}`);
  else
    console.log(
      `${basename(path)}: ${result.outcome} — show "${result.prompt ?? '(no prompt)'}"${result.producer ? `, producer ${result.producer}` : ''}`,
    );
}

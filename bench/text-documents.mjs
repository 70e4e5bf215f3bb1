/**
 * DOCX and PDF labeling time versus file size (1, 10 and 100 MB) on the built packages.
 *
 * The DOCX gets its bulk from a stored media entry (copied as a range, never
 * inflated), the PDF from one big stream object (the update is appended). Each
 * case runs in its own child process through the facade's `labelFile`
 * (file-backed source, streamed output, read-back check), so its peak RSS is its
 * own. Time should grow linearly with size (it is dominated by copying bytes)
 * and memory should stay flat.
 *
 * Environment: TEXT_BENCH_SIZES (comma-separated MB, default 1,10,100).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MB = 1024 * 1024;
const PRODUCER = '001191440300708461136T1XGW3';

if (process.argv[2] === '--child') {
  const [, , , path] = process.argv;
  const { labelFile, openFileSource, planLabelWrite, createLabel, defaultRegistry } = await import('../packages/aigc-label/dist/index.js');
  const label = createLabel({ producer: PRODUCER, produceId: 'bench-0001' });
  const planStart = performance.now();
  const { source, close } = await openFileSource(path);
  const handler = defaultRegistry.resolve(await source.read(0, 4096), path).handler;
  await planLabelWrite(handler, source, label);
  await close();
  const planMs = performance.now() - planStart;
  const start = performance.now();
  await labelFile(path, { label, output: `${path}.labeled` });
  const labelMs = performance.now() - start;
  const outputBytes = statSync(`${path}.labeled`).size;
  rmSync(`${path}.labeled`);
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ format: handler.id, planMs, labelMs, outputBytes, maxRssMb }));
  process.exit(0);
}

const sizes = (process.env.TEXT_BENCH_SIZES ?? '1,10,100').split(',').map(Number);
const work = mkdtempSync(join(tmpdir(), 'aigc-text-bench-'));
const { crc32, ascii, utf8 } = await import('../packages/core/dist/index.js');

/** Fills `bytes` with cheap pseudo-random data, so nothing downstream can shortcut it. */
function noise(length, seed) {
  const bytes = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x;
    bytes[i + 1] = x >>> 8;
    bytes[i + 2] = x >>> 16;
    bytes[i + 3] = x >>> 24;
  }
  return bytes;
}

function u16(n) {
  return [n & 0xff, (n >>> 8) & 0xff];
}
function u32(n) {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** A stored-entries DOCX: the package parts plus one big media entry. */
function writeDocx(path, totalBytes) {
  const parts = [
    [
      '[Content_Types].xml',
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="bin" ContentType="application/octet-stream"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    ],
    [
      '_rels/.rels',
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    ],
    [
      'word/document.xml',
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Bench</w:t></w:r></w:p></w:body></w:document>',
    ],
  ].map(([name, text]) => [name, utf8(text)]);
  parts.push(['word/media/big.bin', noise(totalBytes, 7)]);
  const fd = openSync(path, 'w');
  const central = [];
  let offset = 0;
  for (const [name, data] of parts) {
    const nameBytes = ascii(name);
    const crc = crc32(data);
    const header = Uint8Array.from([
      ...u32(0x04034b50),
      ...u16(20),
      0,
      0,
      0,
      0,
      0,
      0,
      0x21,
      0,
      ...u32(crc),
      ...u32(data.length),
      ...u32(data.length),
      ...u16(nameBytes.length),
      0,
      0,
    ]);
    writeSync(fd, header);
    writeSync(fd, nameBytes);
    writeSync(fd, data);
    central.push(
      Uint8Array.from([
        ...u32(0x02014b50),
        ...u16(20),
        ...u16(20),
        0,
        0,
        0,
        0,
        0,
        0,
        0x21,
        0,
        ...u32(crc),
        ...u32(data.length),
        ...u32(data.length),
        ...u16(nameBytes.length),
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        ...u32(offset),
        ...nameBytes,
      ]),
    );
    offset += header.length + nameBytes.length + data.length;
  }
  const directorySize = central.reduce((n, c) => n + c.length, 0);
  for (const c of central) writeSync(fd, c);
  writeSync(
    fd,
    Uint8Array.from([
      ...u32(0x06054b50),
      0,
      0,
      0,
      0,
      ...u16(parts.length),
      ...u16(parts.length),
      ...u32(directorySize),
      ...u32(offset),
      0,
      0,
    ]),
  );
  closeSync(fd);
}

/** A classic-table PDF whose bulk is one stream object referenced from the catalog. */
function writePdf(path, totalBytes) {
  const fd = openSync(path, 'w');
  let position = 0;
  const offsets = [];
  const put = (bytes) => {
    writeSync(fd, bytes);
    position += bytes.length;
  };
  put(ascii('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'));
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R /Bench 4 0 R >>',
    '<< /Type /Pages /Kids [] /Count 0 >>',
    '<< /Title (Bench) /Producer (aigc-label bench) >>',
  ];
  objects.forEach((body, i) => {
    offsets.push(position);
    put(ascii(`${i + 1} 0 obj\n${body}\nendobj\n`));
  });
  offsets.push(position);
  put(ascii(`4 0 obj\n<< /Length ${totalBytes} >>\nstream\n`));
  put(noise(totalBytes, 11));
  put(ascii('\nendstream\nendobj\n'));
  const xref = position;
  let table = `xref\n0 5\n0000000000 65535 f\r\n`;
  for (const o of offsets) table += `${String(o).padStart(10, '0')} 00000 n\r\n`;
  put(ascii(`${table}trailer\n<< /Size 5 /Root 1 0 R /Info 3 0 R >>\nstartxref\n${xref}\n%%EOF\n`));
  closeSync(fd);
}

const self = fileURLToPath(import.meta.url);
const runChild = (path) => JSON.parse(execFileSync(process.execPath, [self, '--child', path]).toString().trim().split('\n').pop());

const rows = [];
try {
  for (const [kind, writer] of [
    ['docx', writeDocx],
    ['pdf', writePdf],
  ]) {
    for (const size of sizes) {
      const path = join(work, `bench-${size}mb.${kind}`);
      writer(path, size * MB);
      const bytes = statSync(path).size;
      const result = runChild(path);
      rows.push({ kind, size, bytes, ...result });
      rmSync(path);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const pad = (text, width) => String(text).padStart(width);
console.log('format  size MB   plan ms  label ms   MB/s   ms/MB  added B  peak RSS MB');
for (const r of rows) {
  const mb = r.bytes / MB;
  console.log(
    `${r.kind.padEnd(6)}${pad(mb.toFixed(1), 9)}${pad(r.planMs.toFixed(1), 10)}${pad(r.labelMs.toFixed(1), 10)}${pad((mb / (r.labelMs / 1000)).toFixed(0), 7)}` +
      `${pad((r.labelMs / mb).toFixed(2), 8)}${pad(r.outputBytes - r.bytes, 9)}${pad(r.maxRssMb.toFixed(0), 13)}`,
  );
}
for (const kind of ['docx', 'pdf']) {
  const mine = rows.filter((r) => r.kind === kind);
  if (mine.length < 2) continue;
  const [small, big] = [mine[0], mine[mine.length - 1]];
  console.log(
    `${kind}: ${(big.bytes / small.bytes).toFixed(0)}x the size took ${(big.labelMs / small.labelMs).toFixed(1)}x the time ` +
      `and ${(big.maxRssMb / small.maxRssMb).toFixed(2)}x the peak RSS (linear time, flat memory expected)`,
  );
}

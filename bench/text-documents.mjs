/**
 * DOCX and PDF labeling time versus file size (1, 10 and 100 MB) on the built packages.
 *
 * The DOCX gets its bulk from a stored media entry (copied as a range, never
 * inflated), the PDF from one big stream object (the update is appended). Each
 * case runs in its own child process through the facade's `labelFile`
 * (file-backed source, streamed output, read-back check), so its peak RSS is its
 * own. The plan (reading the structure) should not grow with size, copying
 * should grow linearly, and memory should stay flat.
 *
 * Environment: TEXT_BENCH_SIZES (comma-separated MB, default 1,10,100).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MB = 1024 * 1024;
const PRODUCER = '001191440300708461136T1XGW3';

if (process.argv[2] === '--child') {
  const [, , , path] = process.argv;
  const { labelFile, defaultRegistry } = await import('../packages/aigc-label/dist/index.js');
  const { openFileSource } = await import('../packages/aigc-label/dist/file-io.js');
  const { planLabelWrite, createLabel, streamPlan } = await import('../packages/core/dist/index.js');
  const label = createLabel({ producer: PRODUCER, produceId: 'bench-0001' });
  const { source, close } = await openFileSource(path);
  const handler = defaultRegistry.resolve(await source.read(0, 4096), path).handler;
  await planLabelWrite(handler, source, label); // warm-up: module and JIT start-up is not the handler's cost
  let start = performance.now();
  const { plan } = await planLabelWrite(handler, source, label);
  const planMs = performance.now() - start;
  // Copying the plan out without a disk write: what the handler's layout costs.
  start = performance.now();
  let streamed = 0;
  for await (const chunk of streamPlan(plan, source)) streamed += chunk.length;
  const streamMs = performance.now() - start;
  await close();
  // The whole facade path: temporary file, fsync, read-back check, rename.
  start = performance.now();
  await labelFile(path, { label, explicit: false, output: `${path}.labeled` });
  const labelMs = performance.now() - start;
  const outputBytes = statSync(`${path}.labeled`).size;
  rmSync(`${path}.labeled`);
  if (outputBytes !== streamed) throw new Error(`streamed ${streamed} bytes but labelFile wrote ${outputBytes}`);
  // VmHWM starts afresh at exec; getrusage's maxRSS would inherit the parent's peak.
  const maxRssMb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
  console.log(JSON.stringify({ format: handler.id, planMs, streamMs, labelMs, outputBytes, maxRssMb }));
  process.exit(0);
}

const sizes = (process.env.TEXT_BENCH_SIZES ?? '1,10,100').split(',').map(Number);
const work = mkdtempSync(join(tmpdir(), 'aigc-text-bench-'));
const { crc32, ascii, utf8 } = await import('../packages/core/dist/index.js');

/** Cheap pseudo-random data in 4 MB chunks, so nothing downstream can shortcut it and the generator stays small. */
function* noise(length, seed) {
  let x = seed >>> 0 || 1;
  for (let done = 0; done < length; ) {
    const bytes = new Uint8Array(Math.min(4 * MB, length - done));
    for (let i = 0; i < bytes.length; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      bytes[i] = x;
      bytes[i + 1] = x >>> 8;
      bytes[i + 2] = x >>> 16;
      bytes[i + 3] = x >>> 24;
    }
    done += bytes.length;
    yield bytes;
  }
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
  ].map(([name, text]) => {
    const data = utf8(text);
    return { name, size: data.length, crc: crc32(data), chunks: () => [data] };
  });
  let mediaCrc = 0;
  for (const chunk of noise(totalBytes, 7)) mediaCrc = crc32(chunk, mediaCrc);
  parts.push({ name: 'word/media/big.bin', size: totalBytes, crc: mediaCrc, chunks: () => noise(totalBytes, 7) });
  const fd = openSync(path, 'w');
  const central = [];
  let offset = 0;
  for (const { name, size, crc, chunks } of parts) {
    const nameBytes = ascii(name);
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
      ...u32(size),
      ...u32(size),
      ...u16(nameBytes.length),
      0,
      0,
    ]);
    writeSync(fd, header);
    writeSync(fd, nameBytes);
    for (const chunk of chunks()) writeSync(fd, chunk);
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
        ...u32(size),
        ...u32(size),
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
    offset += header.length + nameBytes.length + size;
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
  for (const chunk of noise(totalBytes, 11)) put(chunk);
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
      execFileSync('sync'); // let write-back of the generated file finish before timing
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
console.log('format  size MB  plan ms  stream ms  labelFile ms  labelFile MB/s  added B  peak RSS MB');
for (const r of rows) {
  const mb = r.bytes / MB;
  console.log(
    `${r.kind.padEnd(6)}${pad(mb.toFixed(1), 9)}${pad(r.planMs.toFixed(2), 9)}${pad(r.streamMs.toFixed(1), 11)}${pad(r.labelMs.toFixed(1), 14)}` +
      `${pad((mb / (r.labelMs / 1000)).toFixed(0), 16)}${pad(r.outputBytes - r.bytes, 9)}${pad(r.maxRssMb.toFixed(0), 13)}`,
  );
}
for (const kind of ['docx', 'pdf']) {
  const mine = rows.filter((r) => r.kind === kind);
  if (mine.length < 2) continue;
  // The 1 MB case is mostly fixed cost; compare the larger ones when there are three or more.
  const [small, big] = [mine[mine.length > 2 ? 1 : 0], mine[mine.length - 1]];
  console.log(
    `${kind}: ${(big.bytes / small.bytes).toFixed(0)}x the size took ${(big.planMs / small.planMs).toFixed(1)}x the plan time, ` +
      `${(big.streamMs / small.streamMs).toFixed(1)}x the copy time, ${(big.labelMs / small.labelMs).toFixed(1)}x the labelFile time ` +
      `and ${(big.maxRssMb / small.maxRssMb).toFixed(2)}x the peak RSS (plan flat, copy linear, memory flat expected)`,
  );
}

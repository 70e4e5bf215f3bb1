/**
 * MP4 metadata labeling at scale. The input is a multi-GB MP4 with `moov` at the
 * front: a 10 s H.264 clip made with `-movflags +faststart`, whose `mdat` (the
 * last box) is then grown to VIDEO_METADATA_BENCH_MB by appending bytes to the
 * file and raising its 32-bit size, which needs no offset changes. Players only
 * read the chunks `stco` points at, so the file still plays; to the labeler it
 * is a real multi-GB file whose moov grows in front of mdat, so every stco
 * offset is shifted and the whole mdat is streamed.
 *
 * Cases, each in its own child process (best of 2): a streamed copy (4 MiB
 * reads and writes, fsync), the kernel's copyFile, the label through core +
 * video with a file-backed ByteSource (plan, streamPlan, fsync, read back), the
 * facade's labelFile, and reading the label back from the labeled file.
 * Targets: label within 1.5x of the streamed copy, peak RSS < 100 MB, read in ms.
 * Temporary files are deleted afterwards.
 * Environment: VIDEO_METADATA_BENCH_MB (file size in MiB, default 2560).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { copyFile, open, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const chunkSize = 4 * 1024 * 1024;
const producer = '001191440300708461136T1XGW3';
const require = createRequire(import.meta.url);

/** Makes the clip with ffmpeg, then pads its trailing mdat to `totalBytes`. */
async function generateMp4(work, path, totalBytes) {
  const clip = join(work, 'clip.mp4');
  const ffmpeg = require('@ffmpeg-installer/ffmpeg').path;
  execFileSync(ffmpeg, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=640x360:rate=25',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440',
    '-t',
    '10',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-metadata',
    'title=Bench clip',
    '-movflags',
    '+faststart',
    clip,
  ]);
  await copyFile(clip, path);
  const file = await open(path, 'r+');
  const { size } = await file.stat();
  // Find the last top-level box: it must be mdat for the padding to land inside it.
  const header = Buffer.alloc(8);
  let offset = 0;
  let last = 0;
  while (offset < size) {
    await file.read(header, 0, 8, offset);
    last = offset;
    offset += header.readUInt32BE(0);
  }
  await file.read(header, 0, 8, last);
  if (header.toString('latin1', 4, 8) !== 'mdat') throw new Error('the clip does not end with mdat');
  const padding = totalBytes - size;
  if (header.readUInt32BE(0) + padding > 0xffffffff)
    throw new Error('VIDEO_METADATA_BENCH_MB must stay under 4 GiB for a 32-bit mdat size');
  header.writeUInt32BE(header.readUInt32BE(0) + padding, 0);
  await file.write(header, 0, 4, last);
  const block = Buffer.alloc(chunkSize);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  for (let written = 0; written < padding; written += block.length) {
    await file.write(block, 0, Math.min(block.length, padding - written), size + written);
  }
  await file.sync();
  await file.close();
  await rm(clip);
}

/** Copy by reading and writing 4 MiB chunks, as a plan stream does; fsync like `labelFile`. */
async function streamedCopy(input, output) {
  const from = await open(input, 'r');
  const to = await open(output, 'w');
  const buffer = Buffer.alloc(chunkSize);
  for (;;) {
    const { bytesRead } = await from.read(buffer, 0, buffer.length, null);
    if (bytesRead === 0) break;
    await to.write(buffer, 0, bytesRead);
  }
  await to.sync();
  await to.close();
  await from.close();
}

async function kernelCopy(input, output) {
  await copyFile(input, output);
  const to = await open(output, 'r+');
  await to.sync();
  await to.close();
}

async function loadHandlerPath() {
  const { openFileSource } = await import('../packages/aigc-label/dist/index.js');
  const core = await import('../packages/core/dist/index.js');
  const { videoHandlers } = await import('../packages/video/dist/index.js');
  const mp4 = videoHandlers.find((h) => h.id === 'mp4');
  return async (input, output) => {
    const label = core.createLabel({ producer, produceId: 'bench-0001' });
    const { source, close } = await openFileSource(input);
    try {
      const planned = await core.planLabelWrite(mp4, source, label);
      const out = await open(output, 'w');
      for await (const chunk of core.streamPlan(planned.plan, source)) await out.write(chunk);
      await out.sync();
      await out.close();
      const written = await openFileSource(output);
      await core.verifyWritten(mp4, written.source, label);
      await written.close();
    } finally {
      await close();
    }
  };
}

/**
 * Diagnostic: the same plan, but copy ranges go through one reused 4 MiB buffer
 * instead of a fresh Uint8Array per `ByteSource.read`, and only core + video are
 * loaded. The gap to the case above is the cost of per-chunk allocation.
 */
async function loadReusedBuffer() {
  const core = await import('../packages/core/dist/index.js');
  const { videoHandlers } = await import('../packages/video/dist/index.js');
  const mp4 = videoHandlers.find((h) => h.id === 'mp4');
  async function fileSource(path) {
    const handle = await open(path, 'r');
    const { size } = await handle.stat();
    const read = async (offset, length) => {
      const bytes = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, offset);
      return bytes.subarray(0, bytesRead);
    };
    return { handle, source: { size, read } };
  }
  return async (input, output) => {
    const label = core.createLabel({ producer, produceId: 'bench-0001' });
    const { handle, source } = await fileSource(input);
    const planned = await core.planLabelWrite(mp4, source, label);
    const out = await open(output, 'w');
    const buffer = Buffer.alloc(chunkSize);
    for (const segment of planned.plan.segments) {
      if (segment instanceof Uint8Array) {
        await out.write(segment);
        continue;
      }
      for (let done = 0; done < segment.length; done += buffer.length) {
        const n = Math.min(buffer.length, segment.length - done);
        await handle.read(buffer, 0, n, segment.from + done);
        await out.write(buffer, 0, n);
      }
    }
    await out.sync();
    await out.close();
    await handle.close();
    const written = await fileSource(output);
    await core.verifyWritten(mp4, written.source, label);
    await written.handle.close();
  };
}

async function loadFacade() {
  const { labelFile } = await import('../packages/aigc-label/dist/index.js');
  return async (input, output) => {
    const report = await labelFile(input, { output, producer, produceId: 'bench-0001', explicit: false, durable: true }); // metadata only, fsync like the copies
    if (report.format !== 'mp4') throw new Error(`labeled as ${report.format}, not mp4`);
  };
}

/** Reads the label of the labeled file (the input of this case is the labeled output). */
async function loadRead() {
  const { openFileSource } = await import('../packages/aigc-label/dist/index.js');
  const core = await import('../packages/core/dist/index.js');
  const { videoHandlers } = await import('../packages/video/dist/index.js');
  const mp4 = videoHandlers.find((h) => h.id === 'mp4');
  return async (input) => {
    const { source, close } = await openFileSource(input);
    try {
      const summary = core.summarizeCarriers(await mp4.read(source));
      if (!summary.label) throw new Error('no label read back');
    } finally {
      await close();
    }
  };
}

const cases = {
  'streamed copy': async () => streamedCopy,
  'kernel copyFile': async () => kernelCopy,
  'label (core + video, file source)': loadHandlerPath,
  'label (facade labelFile)': loadFacade,
  'label (core + video, reused copy buffer)': loadReusedBuffer,
  'read label from the labeled file': loadRead,
};

/** Child mode: load one case (untimed), run it, print its time, RSS after loading and peak RSS as JSON. */
async function child(name, input, output) {
  const run = await cases[name]();
  const loadedRssMb = process.memoryUsage().rss / 1048576;
  const start = process.hrtime.bigint();
  await run(input, output);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(JSON.stringify({ ms, loadedRssMb, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
}

function runChild(name, input, output) {
  const result = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', name, input, output], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${name} failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

async function main() {
  const sizeMb = Number(process.env.VIDEO_METADATA_BENCH_MB ?? 2560);
  const work = mkdtempSync(join(tmpdir(), 'aigc-video-metadata-bench-'));
  try {
    const input = join(work, 'large.mp4');
    await generateMp4(work, input, sizeMb * 1024 * 1024);
    const labeled = join(work, 'labeled.mp4');
    const rows = [];
    // Warm the page cache once so no case pays for the first read alone.
    runChild('streamed copy', input, join(work, 'warm.mp4'));
    await rm(join(work, 'warm.mp4'));
    for (const name of Object.keys(cases)) {
      const reading = name.startsWith('read');
      if (reading) runChild('label (core + video, file source)', input, labeled);
      const output = join(work, 'out.mp4');
      const runs = [0, 1].map(() => {
        const r = runChild(name, reading ? labeled : input, output);
        rmSync(output, { force: true });
        return r;
      });
      rows.push({
        name,
        ms: Math.min(...runs.map((r) => r.ms)),
        loadedRssMb: Math.max(...runs.map((r) => r.loadedRssMb)),
        peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
      });
    }
    const copy = rows.find((r) => r.name === 'streamed copy').ms;
    const kernel = rows.find((r) => r.name === 'kernel copyFile').ms;
    console.log(`MP4 metadata labeling, ${sizeMb} MiB file with moov before mdat (best of 2, each case in its own process)\n`);
    console.log('| case | time (ms) | MiB/s | vs streamed copy | vs copyFile | RSS after loading (MB) | peak RSS (MB) |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      const rate = r.name.startsWith('read') ? '—' : (sizeMb / (r.ms / 1000)).toFixed(0);
      console.log(
        `| ${r.name} | ${r.ms.toFixed(r.ms < 100 ? 1 : 0)} | ${rate} | ${(r.ms / copy).toFixed(2)}x | ${(r.ms / kernel).toFixed(2)}x | ${r.loadedRssMb.toFixed(0)} | ${r.peakRssMb.toFixed(0)} |`,
      );
    }
    const label = rows.find((r) => r.name === 'label (core + video, file source)');
    const read = rows.find((r) => r.name.startsWith('read'));
    const timeOk = label.ms <= 1.5 * copy;
    const memoryOk = label.peakRssMb < 100;
    console.log(
      `\ntargets (core + video path): time ≤ 1.5x streamed copy: ${timeOk ? 'met' : 'MISSED'} (${(label.ms / copy).toFixed(2)}x); ` +
        `peak RSS < 100 MB: ${memoryOk ? 'met' : 'MISSED'} (${label.peakRssMb.toFixed(0)} MB); ` +
        `label read in milliseconds: ${read.ms < 1000 ? 'met' : 'MISSED'} (${read.ms.toFixed(1)} ms)`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], process.argv[5]);
} else {
  await main();
}

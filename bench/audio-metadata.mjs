/**
 * WAV metadata labeling at scale: a 1 GiB WAV (generated into the temp folder,
 * deleted afterwards) labeled through the facade's file path (`labelFile`: a
 * file-backed ByteSource, the handler's plan streamed to a temporary file,
 * fsync, read-back, rename), against copying the same file.
 * Targets: time within 1.5x of a streamed copy, peak RSS under 100 MB.
 *
 * Each case runs in its own child process so its peak RSS is its own.
 * Environment: AUDIO_METADATA_BENCH_MB (file size in MiB, default 1024).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { facadeLabel, kernelCopy, measure, report, runCaseInChild, runChild, streamedCopy } from './lib/large-file.mjs';

const chunkSize = 4 * 1024 * 1024;
const script = fileURLToPath(import.meta.url);

/** A RIFF/WAVE header with fmt (16-bit stereo 44.1 kHz), a LIST/INFO title, and a data chunk of `dataSize` bytes. */
function wavHeader(dataSize) {
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0, 'latin1');
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(1, 8);
  fmt.writeUInt16LE(2, 10);
  fmt.writeUInt32LE(44_100, 12);
  fmt.writeUInt32LE(44_100 * 4, 16);
  fmt.writeUInt16LE(4, 20);
  fmt.writeUInt16LE(16, 22);
  const title = Buffer.from('Bench tone\0', 'latin1');
  const info = Buffer.alloc(20 + title.length + (title.length & 1));
  info.write('LIST', 0, 'latin1');
  info.writeUInt32LE(info.length - 8, 4);
  info.write('INFO', 8, 'latin1');
  info.write('INAM', 12, 'latin1');
  info.writeUInt32LE(title.length, 16);
  title.copy(info, 20);
  const data = Buffer.alloc(8);
  data.write('data', 0, 'latin1');
  data.writeUInt32LE(dataSize, 4);
  const riff = Buffer.alloc(12);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(4 + fmt.length + info.length + data.length + dataSize, 4);
  riff.write('WAVE', 8, 'latin1');
  return Buffer.concat([riff, fmt, info, data]);
}

async function generateWav(path, totalBytes) {
  const header = wavHeader(totalBytes - 0);
  const dataSize = totalBytes - header.length;
  const out = await open(path, 'w');
  await out.write(wavHeader(dataSize));
  const block = Buffer.alloc(chunkSize);
  // A cheap deterministic "signal"; the content does not matter to a byte-level writer.
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  for (let written = 0; written < dataSize; written += block.length) {
    await out.write(block, 0, Math.min(block.length, dataSize - written));
  }
  await out.sync();
  await out.close();
}

const cases = {
  'streamed copy': async () => streamedCopy,
  'kernel copyFile': async () => kernelCopy,
  'label (facade labelFile)': facadeLabel('wav'),
};

async function main() {
  const sizeMb = Number(process.env.AUDIO_METADATA_BENCH_MB ?? 1024);
  const work = mkdtempSync(join(tmpdir(), 'aigc-audio-metadata-bench-'));
  try {
    const input = join(work, 'large.wav');
    await generateWav(input, sizeMb * 1024 * 1024);
    // Warm the page cache once so no case pays for the first read alone.
    runChild(script, 'streamed copy', input, join(work, 'warm.wav'));
    rmSync(join(work, 'warm.wav'));
    const rows = measure(script, cases, () => input, join(work, 'out.wav'));
    if (!report('WAV metadata labeling', sizeMb, rows)) process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await runCaseInChild(cases, process.argv[3], process.argv[4], process.argv[5]);
else await main();

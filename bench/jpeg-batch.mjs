#!/usr/bin/env node
/**
 * Issue 16's batch row: `aigc-label label` on a folder of 2,000 1920x1080 JPEGs, whole CLI
 * process (start-up, walk, read, write beside, read back), against ExifTool writing the same
 * XMP-TC260 AIGC tag to the same folder in one process (`-o DIR/`): target ≥ 3x. Both write
 * every file to a fresh output folder, from the page cache (one untimed pass reads the inputs
 * first). For scale it also times the copy floor: a bare Node loop reading each file into a reused
 * buffer and writing it beside, with no parsing or read-back. Environment: BENCH_FILES (default 2000).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

const root = join(import.meta.dirname, '..');
const count = Number(process.env.BENCH_FILES ?? 2000);
const cli = join(root, 'packages', 'cli', 'dist', 'cli.js');
const exiftool = existsSync('/usr/bin/exiftool') ? '/usr/bin/exiftool' : null;
const producer = '001191440300708461136T1XGW3';
const work = mkdtempSync(join(tmpdir(), 'aigc-bench-jpeg-batch-'));

/** Four distinct 1080p frames (noise over a gradient, so the files have real entropy), copied round-robin. */
async function frames() {
  const out = [];
  for (let seed = 0; seed < 4; seed++) {
    const pixels = Buffer.alloc(1920 * 1080 * 3);
    let state = seed * 7919 + 1;
    for (let i = 0; i < pixels.length; i++) {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      pixels[i] = ((i / 3) % 1920) / 8 + (state >> 26);
    }
    out.push(
      await sharp(pixels, { raw: { width: 1920, height: 1080, channels: 3 } })
        .jpeg({ quality: 85 })
        .toBuffer(),
    );
  }
  return out;
}

function timed(command, args) {
  // Dirty pages of what was written before (the inputs, the other tool's outputs) are flushed
  // first, so that neither run pays for the other's write-back.
  spawnSync('sync');
  const started = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr.slice(0, 500)}`);
  return performance.now() - started;
}

try {
  const input = join(work, 'in');
  mkdirSync(input);
  const sources = await frames();
  for (const [i, bytes] of sources.entries()) writeFileSync(join(work, `frame${i}.jpg`), bytes);
  for (let i = 0; i < count; i++) copyFileSync(join(work, `frame${i % sources.length}.jpg`), join(input, `${i}.jpg`));
  spawnSync(
    'cat',
    readdirSync(input).map((f) => join(input, f)),
    { stdio: 'ignore', maxBuffer: 1 << 30 },
  );
  const mb = (sources.reduce((n, b) => n + b.length, 0) / sources.length / 1e6).toFixed(2);

  const ours = timed(process.execPath, [
    cli,
    'label',
    input,
    '-o',
    join(work, 'ours'),
    '--producer',
    producer,
    '--no-explicit',
    '--no-progress',
    '-j',
    '2',
  ]);
  // The least any Node tool can do with these files: read each into a reused buffer and write it
  // unchanged beside, in one process (no parsing, no read-back, no rename). For scale, not a target.
  const floorScript = `
    const fs = require('node:fs'); const path = require('node:path');
    const [from, to] = process.argv.slice(1); fs.mkdirSync(to);
    const buffer = Buffer.allocUnsafeSlow(1 << 22);
    for (const name of fs.readdirSync(from)) {
      const fd = fs.openSync(path.join(from, name), 'r'); const n = fs.readSync(fd, buffer, 0, buffer.length, 0); fs.closeSync(fd);
      const out = fs.openSync(path.join(to, name), 'wx'); fs.writeSync(out, buffer, 0, n); fs.closeSync(out);
    }`;
  const floor = timed(process.execPath, ['-e', floorScript, input, join(work, 'floor')]);
  let theirs = null;
  if (exiftool) {
    const config = join(work, 'tc260.config');
    writeFileSync(
      config,
      `%Image::ExifTool::UserDefined = ('Image::ExifTool::XMP::Main' => { TC260 => { SubDirectory => { TagTable => 'Image::ExifTool::UserDefined::TC260' } } });
%Image::ExifTool::UserDefined::TC260 = (GROUPS => { 0 => 'XMP', 1 => 'XMP-TC260', 2 => 'Image' }, NAMESPACE => { 'TC260' => 'http://www.tc260.org.cn/ns/AIGC/1.0/' }, WRITABLE => 'string', AIGC => { });
1;\n`,
    );
    const value = JSON.stringify({
      Label: '1',
      ContentProducer: producer,
      ProduceID: 'bench',
      ReservedCode1: '',
      ContentPropagator: producer,
      PropagateID: 'bench',
      ReservedCode2: '',
    });
    mkdirSync(join(work, 'exiftool'));
    theirs = timed(exiftool, ['-config', config, '-q', '-q', `-XMP-TC260:AIGC=${value}`, '-o', `${join(work, 'exiftool')}/`, input]);
  }
  const written = readdirSync(join(work, 'ours')).length;
  const theirsWritten = theirs === null ? 0 : readdirSync(join(work, 'exiftool')).length;
  console.log(`${count} JPEGs of 1920x1080 (${mb} MB each): aigc-label wrote ${written}, ExifTool ${theirsWritten}`);
  const ratio = theirs === null ? null : theirs / ours;
  console.table([
    {
      what: `batch label, ${count} 1080p JPEGs, whole process (-j 2)`,
      figure: `${((count / ours) * 1000).toFixed(0)} files/s (${(ours / 1000).toFixed(1)} s)`,
      alternative:
        theirs === null
          ? 'exiftool missing'
          : `exiftool -o DIR/: ${((count / theirs) * 1000).toFixed(0)} files/s (${(theirs / 1000).toFixed(1)} s): ${ratio.toFixed(1)}x`,
      'copy floor': `${((count / floor) * 1000).toFixed(0)} files/s (${(floor / 1000).toFixed(1)} s)`,
      target: '≥ 3x ExifTool',
      met: ratio !== null && ratio >= 3 && written === count && theirsWritten === count ? 'met' : 'MISSED',
    },
  ]);
} finally {
  rmSync(work, { recursive: true, force: true });
}

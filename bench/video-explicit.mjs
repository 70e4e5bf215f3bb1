// Visible video label: smart render (re-encode only the labelled GOPs) against a full re-encode with the
// same encoder settings, on a generated 10-minute 1920x1080 H.264 clip (issue 6; target: smart ≥ 20x faster).
// The clip is cached in $TMPDIR/aigc-label-bench-cache between runs; scratch files are removed at the end.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { applyVisibleVideoLabel, defaultBinaries } from '../packages/video/dist/index.js';

const MINUTES = 10;
const tools = defaultBinaries();
const cacheDir = join(tmpdir(), 'aigc-label-bench-cache');
mkdirSync(cacheDir, { recursive: true });
const clip = join(cacheDir, `video-explicit-${MINUTES}min-1080p-h264-g50.mp4`);

if (!existsSync(clip)) {
  // Encoding 15,000 1080p frames only to get a test input would take longer than the bench itself, so a
  // 10 s clip (5 GOPs) is encoded once and stream-copied 60 times; the packets, GOPs and timing are those
  // of a real 10-minute x264 stream.
  console.log(`generating ${clip} (x264 ultrafast, GOP 50, AAC; once)…`);
  const started = performance.now();
  const unit = join(cacheDir, 'video-explicit-10s-unit.mp4');
  const partial = `${clip}.partial.mp4`;
  execFileSync(tools.ffmpeg, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=1920x1080:rate=25:duration=10',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000:duration=10',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-g',
    '50',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    unit,
  ]);
  execFileSync(tools.ffmpeg, ['-v', 'error', '-y', '-stream_loop', String(MINUTES * 6 - 1), '-i', unit, '-c', 'copy', partial]);
  rmSync(unit);
  renameSync(partial, clip);
  console.log(`generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function overlay({ width, height }) {
  const boxHeight = Math.round(Math.min(width, height) * 0.08); // text height ≥ 5% of the shortest side (GB 45438 §5.4)
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect x="${boxHeight}" y="${boxHeight}" width="${boxHeight * 8}" height="${boxHeight}" fill="white"/><text x="${boxHeight * 1.2}" y="${boxHeight * 1.8}" font-size="${boxHeight * 0.7}" font-family="DejaVu Sans" fill="black">AI-generated</text></svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

const workDir = mkdtempSync(join(tmpdir(), 'aigc-label-bench-video-explicit-'));
const rows = [];
try {
  for (const mode of ['smart', 'full']) {
    const output = join(workDir, `labelled-${mode}.mp4`);
    const started = performance.now();
    const result = await applyVisibleVideoLabel({ input: clip, output, workDir, overlay, mode, encoderPreset: 'ultrafast' });
    const seconds = (performance.now() - started) / 1000;
    if (!result.checks.ok) throw new Error(`${mode}: output checks failed: ${JSON.stringify(result.checks)}`);
    rows.push({
      mode: result.mode,
      seconds,
      verify: result.verifySeconds,
      reencoded: result.reencodedSeconds,
      checks: result.checks,
      size: statSync(output).size,
    });
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}

const [smart, full] = rows;
console.log(
  `\nvisible label, ${MINUTES} min 1920x1080 H.264 (${(statSync(clip).size / 1e6).toFixed(0)} MB), 3 s label at the start, x264 ultrafast for re-encoded frames`,
);
console.table(
  rows.map((row) => ({
    mode: row.mode,
    'total s': row.seconds.toFixed(2),
    'of which checks s': row.verify.toFixed(2),
    're-encoded s': row.reencoded.toFixed(2),
    'decode check': row.checks.decode.scope,
    'copied packets identical': row.checks.copiedPackets
      ? `${row.checks.copiedPackets.compared - row.checks.copiedPackets.different}/${row.checks.copiedPackets.compared}`
      : '-',
    'output MB': (row.size / 1e6).toFixed(1),
  })),
);
const ratio = full.seconds / smart.seconds;
const renderRatio = (full.seconds - full.verify) / (smart.seconds - smart.verify);
console.log(
  `smart render is ${ratio.toFixed(1)}x faster than a full re-encode, checks included (target ≥ 20x): ${ratio >= 20 ? 'PASS' : 'BELOW TARGET'}`,
);
console.log(`without the output checks: ${renderRatio.toFixed(1)}x`);

// Visible video label: smart render (re-encode only the labelled GOPs) against a full re-encode with the
// same encoder settings, with the output checks, on two generated H.264 clips:
// - issue 6: 10 minutes of 1920x1080, x264 ultrafast on both sides: smart ≥ 20x faster;
// - issue 16: 60 s of 1280x720, the encoder's default preset (what `label` uses): smart ≥ 10x faster.
// The clips are cached in $TMPDIR/aigc-label-bench-cache between runs; scratch files are removed at the end.
// BENCH_VIDEO=issue6|issue16 runs one of them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { applyVisibleVideoLabel, defaultBinaries } from '../packages/video/dist/index.js';

const tools = defaultBinaries();
const cacheDir = join(tmpdir(), 'aigc-label-bench-cache');
mkdirSync(cacheDir, { recursive: true });

const CASES = [
  { id: 'issue6', seconds: 600, size: '1920x1080', preset: 'ultrafast', target: 20 },
  { id: 'issue16', seconds: 60, size: '1280x720', preset: undefined, target: 10 },
].filter((c) => !process.env.BENCH_VIDEO || process.env.BENCH_VIDEO === c.id);

/**
 * A clip of `seconds` of testsrc2 at 25 fps, GOP 50, with AAC. Encoding every frame only to get a
 * test input would take longer than the bench itself, so a 10 s clip (5 GOPs) is encoded once and
 * stream-copied; the packets, GOPs and timing are those of a real x264 stream of that length.
 */
function clipFor({ seconds, size }) {
  const clip = join(cacheDir, `video-explicit-${seconds}s-${size}-h264-g50.mp4`);
  if (existsSync(clip)) return clip;
  console.log(`generating ${clip} (x264 ultrafast, GOP 50, AAC; once)…`);
  const unit = join(cacheDir, `video-explicit-10s-${size}-unit.mp4`);
  const partial = `${clip}.partial.mp4`;
  execFileSync(tools.ffmpeg, [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25:duration=10`],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=10'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', unit],
  ]);
  execFileSync(tools.ffmpeg, ['-v', 'error', '-y', '-stream_loop', String(seconds / 10 - 1), '-i', unit, '-c', 'copy', partial]);
  rmSync(unit);
  renameSync(partial, clip);
  return clip;
}

async function overlay({ width, height }) {
  const boxHeight = Math.round(Math.min(width, height) * 0.08); // text height ≥ 5% of the shortest side (GB 45438 §5.4)
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect x="${boxHeight}" y="${boxHeight}" width="${boxHeight * 8}" height="${boxHeight}" fill="white"/><text x="${boxHeight * 1.2}" y="${boxHeight * 1.8}" font-size="${boxHeight * 0.7}" font-family="DejaVu Sans" fill="black">AI-generated</text></svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

const workDir = mkdtempSync(join(tmpdir(), 'aigc-label-bench-video-explicit-'));
try {
  for (const c of CASES) {
    const clip = clipFor(c);
    const rows = [];
    for (const mode of ['smart', 'full']) {
      const output = join(workDir, `labelled-${c.id}-${mode}.mp4`);
      const started = performance.now();
      const result = await applyVisibleVideoLabel({ input: clip, output, workDir, overlay, mode, encoderPreset: c.preset });
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
      rmSync(output);
    }
    const [smart, full] = rows;
    const length = c.seconds >= 60 && c.seconds % 60 === 0 ? `${c.seconds / 60} min` : `${c.seconds} s`;
    console.log(
      `\n${c.id}: visible label, ${length} ${c.size} H.264 (${(statSync(clip).size / 1e6).toFixed(0)} MB), label at the start, x264 ${c.preset ?? 'default preset'} for re-encoded frames`,
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
      `smart render is ${ratio.toFixed(1)}x faster than a full re-encode, checks included (target ≥ ${c.target}x): ${ratio >= c.target ? 'met' : 'MISSED'}; without the output checks: ${renderRatio.toFixed(1)}x`,
    );
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}

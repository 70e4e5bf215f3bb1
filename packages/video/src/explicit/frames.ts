import { type FfmpegBinaries, runTool } from '@aigc-label/ffmpeg';

export interface SampledFrame {
  readonly seconds: number;
  readonly png: Uint8Array;
}

/**
 * Frames where GB 45438 §5.4 puts a visible label (the start frames; optionally the middle and
 * the end): 0.5, 1.5 and 2.5 s, the middle and one second before the end, as PNG bytes.
 */
export async function sampleFrames(tools: FfmpegBinaries, path: string): Promise<SampledFrame[]> {
  const probe = await runTool(tools.ffprobe, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path]);
  const duration = Number.parseFloat(new TextDecoder().decode(probe.stdout)) || 0;
  const times = [
    ...new Set([0.5, 1.5, 2.5, duration / 2, duration - 1].filter((t) => t >= 0 && t < duration).map((t) => Math.round(t * 10) / 10)),
  ];
  const frames: SampledFrame[] = [];
  for (const seconds of times) {
    const frame = await runTool(tools.ffmpeg, [
      '-v',
      'error',
      '-ss',
      String(seconds),
      '-i',
      path,
      '-frames:v',
      '1',
      '-f',
      'image2pipe',
      '-c:v',
      'png',
      '-',
    ]);
    if (frame.code === 0 && frame.stdout.length > 0) frames.push({ seconds, png: frame.stdout });
  }
  return frames;
}

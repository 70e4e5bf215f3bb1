/** Full render: the whole video re-encoded with the label, when smart render cannot be used or is not asked for. */
import { WriteVerificationError } from '@aigc-label/core';
import { timeoutForMedia } from '@aigc-label/ffmpeg';
import type { RenderResult } from './apply-visible-label.js';
import { encoderOptions } from './bitstream.js';
import { fullEncoderArgs } from './encoder.js';
import { audioArgs, fullRenderArgs, rotationRemuxArgs } from './render-args.js';
import {
  COPY_MS_PER_SECOND,
  checkOutput,
  ENCODE_MS_PER_SECOND,
  failedChecks,
  type RenderContext,
  runRenderStep,
} from './render-context.js';

export async function fullRender(context: RenderContext, reason: string): Promise<RenderResult> {
  const { info, intervals, tools, options } = context;
  const sourceEncoder = info.codec === 'h264' ? 'x264' : 'x265';
  const sourceOptions = info.codec === 'h264' || info.codec === 'hevc' ? encoderOptions(context.sourceNals, sourceEncoder) : undefined;
  const encoder = fullEncoderArgs(info, sourceOptions);
  const audio = audioArgs(context, 0, 2);
  const extension = /\.[^./]+$/.exec(options.output)?.[0] ?? '.mp4';
  const encoded = info.rotation === 0 ? options.output : `${options.workDir}/full-encode${extension}`;
  await runRenderStep(tools, fullRenderArgs(context, encoder, audio, encoded), {
    stdin: context.overlayPng,
    extraPipes: audio.pipes,
    timeoutMs: timeoutForMedia(info.duration, ENCODE_MS_PER_SECOND),
  });
  if (encoded !== options.output) {
    await runRenderStep(tools, rotationRemuxArgs(info, encoded, options.output), {
      timeoutMs: timeoutForMedia(info.duration, COPY_MS_PER_SECOND),
    });
  }
  const { checks, seconds: verifySeconds } = await checkOutput(context, undefined);
  if (!checks.ok) {
    throw new WriteVerificationError(`the labelled video was checked and not kept (the input is unchanged): ${failedChecks(checks)}`);
  }
  return { mode: 'full', reason, reencodedSeconds: info.duration, intervals, encoder: encoder.description, checks, verifySeconds };
}

import { embedWatermark, VideoWatermarkDetector, WATERMARK_MIN_SIDE } from '@aigc-label/image';
import type { VideoWatermarkTools } from '@aigc-label/video';

/** What the video mark borrows from the image package: the image mark on each frame's luma, and the frame reader that averages and votes. */
export const videoWatermarkTools: VideoWatermarkTools = {
  markFrame(frame, payload, key) {
    const { pixels, psnr } = embedWatermark(frame, { payload, key });
    return { data: pixels.data as Uint8Array, psnr };
  },
  minSide: WATERMARK_MIN_SIDE,
  frameReader: (key, maxFramesRead) => new VideoWatermarkDetector({ key, maxFramesRead }),
};

import type { VideoWatermarkTools } from '@aigc-label/video';

type ImagePackage = typeof import('@aigc-label/image');
let image: ImagePackage | undefined;
/** The image package, once `ready` has loaded it: the mark is not loaded with the format modules. */
const loaded = (): ImagePackage => {
  if (!image) throw new Error('the video watermark tools were used before ready() loaded them');
  return image;
};

/** What the video mark borrows from the image package: the image mark on each frame's luma, and the frame reader that averages and votes. */
export const videoWatermarkTools: VideoWatermarkTools = {
  async ready() {
    image ??= await import('@aigc-label/image');
  },
  markFrame(frame, payload, key) {
    const { pixels, psnr } = loaded().embedWatermark(frame, { payload, key });
    return { data: pixels.data as Uint8Array, psnr };
  },
  get minSide() {
    return loaded().WATERMARK_MIN_SIDE;
  },
  frameReader: (key, maxFramesRead) => new (loaded().VideoWatermarkDetector)({ key, maxFramesRead }),
};

import { UnsupportedFormatError } from '@aigc-label/core';

/** One decoded frame's luma (or a grey frame) as the image package's mark takes it: one 8-bit channel. */
export interface LumaFrame {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1;
}

/** Bytes of one raw frame in an 8-bit planar pixel format (rawvideo packs the planes without padding), or undefined for other formats. */
export function planarFrameBytes(pixelFormat: string, width: number, height: number): number | undefined {
  const luma = width * height;
  const halfWidth = Math.ceil(width / 2);
  switch (pixelFormat) {
    case 'yuv420p':
    case 'yuvj420p':
      return luma + 2 * halfWidth * Math.ceil(height / 2);
    case 'yuv422p':
    case 'yuvj422p':
      return luma + 2 * halfWidth * height;
    case 'yuv444p':
    case 'yuvj444p':
      return 3 * luma;
    case 'gray':
      return luma;
    default:
      return undefined;
  }
}

/** The raw frame size for a pixel format the mark can be written into, or an error naming why not. */
export function requirePlanarFrameBytes(pixelFormat: string, width: number, height: number): number {
  const bytes = planarFrameBytes(pixelFormat, width, height);
  if (bytes === undefined) {
    throw new UnsupportedFormatError(
      `video: pixel format ${pixelFormat} is not marked here (8-bit planar YUV or grey only; a deeper or packed format would lose precision or need conversion)`,
    );
  }
  return bytes;
}

/**
 * Cuts a byte stream into whole frames of `frameBytes`, whatever the chunking of the pipe. Each
 * frame is a fresh buffer the caller may keep.
 */
export async function* wholeFrames(chunks: AsyncIterable<Uint8Array>, frameBytes: number): AsyncGenerator<Uint8Array> {
  let frame = new Uint8Array(frameBytes);
  let filled = 0;
  for await (const chunk of chunks) {
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(frameBytes - filled, chunk.length - at);
      frame.set(chunk.subarray(at, at + take), filled);
      filled += take;
      at += take;
      if (filled === frameBytes) {
        yield frame;
        frame = new Uint8Array(frameBytes);
        filled = 0;
      }
    }
  }
}

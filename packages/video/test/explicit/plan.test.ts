import { describe, expect, it } from 'vitest';
import { labelIntervals, PacketClock, planSmartRender } from '../../src/explicit/plan.js';
import type { VideoPacket, VideoStreamInfo } from '../../src/explicit/probe.js';

const info = (duration: number, overrides: Partial<VideoStreamInfo> = {}): VideoStreamInfo => ({
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  streamIndex: 0,
  streams: [{ index: 0, type: 'video', codec: 'h264', disposition: ['default'] }],
  codec: 'h264',
  codecTag: 'avc1',
  profile: 'High',
  level: 30,
  pixelFormat: 'yuv420p',
  codedWidth: 320,
  codedHeight: 240,
  sampleAspect: [1, 1],
  rotation: 0,
  frameRate: [25, 1],
  timeBase: [1, 25],
  bitRate: 400_000,
  colorRange: undefined,
  colorSpace: undefined,
  colorTransfer: undefined,
  colorPrimaries: undefined,
  fieldOrder: 'progressive',
  reorderDelay: 1,
  duration,
  startTime: 0,
  hasAudio: false,
  audio: undefined,
  ...overrides,
});

/** Packets in decode order for GOPs of `gop` frames with one B-frame pair per P (I P B P B…); `openAt` gives GOPs whose first B-frames show before their I-frame. */
function packets(frames: number, gop: number, openAt: number[] = []): VideoPacket[] {
  const list: VideoPacket[] = [];
  for (let start = 0; start < frames; start += gop) {
    const open = openAt.includes(start);
    list.push({ pts: start, dts: start - 1, duration: 1, keyframe: true, discard: false });
    if (open) list.push({ pts: start - 1, dts: start, duration: 1, keyframe: false, discard: false });
    for (let pts = start + 1; pts < Math.min(start + gop, frames) - (open ? 1 : 0); pts++) {
      list.push({ pts, dts: pts, duration: 1, keyframe: false, discard: false });
    }
  }
  return list;
}

describe('labelIntervals', () => {
  it('places start, middle and end labels and merges overlaps', () => {
    expect(labelIntervals(10, 3, ['start', 'middle', 'end'])).toEqual([
      { start: 0, end: 3 },
      { start: 3.5, end: 6.5 },
      { start: 7, end: 10 },
    ]);
    expect(labelIntervals(5, 3, ['start', 'middle'])).toEqual([{ start: 0, end: 4 }]);
    expect(labelIntervals(1.5, 3, ['start'])).toEqual([{ start: 0, end: 1.5 }]);
  });
});

describe('planSmartRender', () => {
  it('re-encodes from the first frame to the first keyframe at or after the label end', () => {
    const clip = info(20);
    const clock = new PacketClock(packets(500, 50), clip);
    const plan = planSmartRender(clip, clock, labelIntervals(20, 3, ['start']));
    expect(plan).toEqual({ ok: true, spans: [{ first: 0, end: 100 }] });
  });

  it('says open GOP when the keyframe after the label has leading pictures', () => {
    const clip = info(20);
    const clock = new PacketClock(packets(500, 50, [100]), clip);
    const plan = planSmartRender(clip, clock, labelIntervals(20, 3, ['start']));
    expect(plan).toMatchObject({ ok: false, reason: expect.stringMatching(/^open GOP/) });
  });

  it('says so when the next keyframe is too far away', () => {
    const clip = info(60);
    const clock = new PacketClock(packets(1500, 500), clip);
    const plan = planSmartRender(clip, clock, labelIntervals(60, 3, ['start']));
    expect(plan).toMatchObject({ ok: false, reason: expect.stringMatching(/^no keyframe soon enough/) });
  });

  it('refuses codecs and containers it cannot cut', () => {
    const clock = (clip: VideoStreamInfo) => new PacketClock(packets(250, 25), clip);
    const vp9 = info(10, { codec: 'vp9', formatName: 'matroska,webm' });
    expect(planSmartRender(vp9, clock(vp9), [{ start: 0, end: 3 }])).toMatchObject({ reason: expect.stringMatching(/not vp9/) });
    const avi = info(10, { formatName: 'avi' });
    expect(planSmartRender(avi, clock(avi), [{ start: 0, end: 3 }])).toMatchObject({ reason: expect.stringMatching(/not avi/) });
    const interlaced = info(10, { fieldOrder: 'tt' });
    expect(planSmartRender(interlaced, clock(interlaced), [{ start: 0, end: 3 }])).toMatchObject({
      reason: expect.stringMatching(/interlaced/),
    });
  });
});

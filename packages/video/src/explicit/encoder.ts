import { UnsupportedFormatError } from '@aigc-label/core';
import type { VideoStreamInfo } from './probe.js';

const X264_PROFILES: Record<string, string> = {
  Baseline: 'baseline',
  'Constrained Baseline': 'baseline',
  Main: 'main',
  Extended: 'main',
  High: 'high',
  'High 10': 'high10',
  'High 4:2:2': 'high422',
  'High 4:4:4 Predictive': 'high444',
};

/** x264 options that shape the SPS/PPS and the reorder delay; copied from the source's own x264 SEI when it has one. */
const X264_STRUCTURE_OPTIONS = ['cabac', 'ref', 'bframes', 'b_pyramid', 'weightb', 'weightp', '8x8dct', 'keyint', 'keyint_min'];

/**
 * The encoder runs in the source's time base (ticks, e.g. 1/12800), from which libx264/libx265 would take the
 * frame rate and starve every frame in rate control and VBV; their own `fps` option says what a frame is.
 */
function fpsParam(info: VideoStreamInfo): string {
  return `fps=${info.frameRate[0]}/${info.frameRate[1]}`;
}

export interface EncoderChoice {
  readonly args: string[];
  readonly description: string;
}

function colourArgs(info: VideoStreamInfo): string[] {
  const args: string[] = [];
  if (info.colorRange) args.push('-color_range', info.colorRange);
  if (info.colorSpace) args.push('-colorspace', info.colorSpace);
  if (info.colorTransfer) args.push('-color_trc', info.colorTransfer);
  if (info.colorPrimaries) args.push('-color_primaries', info.colorPrimaries);
  return args;
}

function bitRateArgs(info: VideoStreamInfo): string[] {
  // Quality close to the source: the same average bit rate.
  const bitRate = info.bitRate ?? 2_000_000;
  return ['-b:v', String(bitRate), '-maxrate', String(Math.round(bitRate * 1.5)), '-bufsize', String(bitRate * 2)];
}

/**
 * libx264 settings matching the source stream: profile, level, pixel format, colour, bit rate and the
 * GOP structure (so the re-encoded head has the same reorder delay as the copied tail). `parameterSetId`
 * numbers the head's SPS/PPS apart from the source's, so both sets can live in one stream.
 */
export function x264Args(
  info: VideoStreamInfo,
  sourceOptions: Map<string, string> | undefined,
  parameterSetId: number | undefined,
): EncoderChoice {
  const params: string[] = [];
  if (sourceOptions) {
    for (const key of X264_STRUCTURE_OPTIONS) {
      const value = sourceOptions.get(key);
      if (value !== undefined && /^[\w.,]+$/.test(value)) params.push(`${key.replace(/_/g, '-')}=${value}`);
    }
  } else if (info.reorderDelay === 0) params.push('bframes=0');
  else if (info.reorderDelay === 1) params.push('bframes=2', 'b-pyramid=none');
  else params.push('bframes=3', 'b-pyramid=normal');
  if (parameterSetId !== undefined) params.push(`sps-id=${parameterSetId}`);
  params.push(fpsParam(info));
  const args = ['-c:v', 'libx264', '-pix_fmt', info.pixelFormat];
  const sameCodec = info.codec === 'h264';
  const profile = sameCodec && info.profile ? X264_PROFILES[info.profile] : undefined;
  if (profile) args.push('-profile:v', profile);
  if (sameCodec && info.level && info.level > 0) args.push('-level:v', info.level === 9 ? '1b' : (info.level / 10).toFixed(1));
  if (params.length > 0) args.push('-x264-params', params.join(':'));
  args.push(...bitRateArgs(info), ...colourArgs(info));
  return { args, description: `libx264 ${profile ?? ''} ${params.join(':')}`.trim() };
}

/**
 * x265 options that decide the VPS/SPS/PPS (and the GOP structure). x265 cannot renumber its parameter
 * sets, so a head joined to copied packets must reproduce the source's sets exactly; for x265-made
 * sources these options are taken from the source's own SEI. The VUI colour and aspect fields are left to
 * ffmpeg's own flags (as when the source was made through ffmpeg): naming them in x265-params would also
 * switch on their presence flags.
 */
const X265_PARAMETER_SET_OPTIONS = new Set([
  'ref',
  'bframes',
  'b-pyramid',
  'keyint',
  'min-keyint',
  'open-gop',
  'ctu',
  'min-cu-size',
  'max-tu-size',
  'tu-inter-depth',
  'tu-intra-depth',
  'amp',
  'signhide',
  'tskip',
  'weightp',
  'weightb',
  'temporal-mvp',
  'sao',
  'strong-intra-smoothing',
  'constrained-intra',
  'deblock',
  'cbqpoffs',
  'crqpoffs',
  'lossless',
  'level-idc',
  'high-tier',
  'hrd',
  'aq-mode',
  'qg-size',
  'wpp',
  'temporal-layers',
  'radl',
  'uhd-bd',
  'interlace',
  'aud',
  'repeat-headers',
]);

export function x265Args(info: VideoStreamInfo, sourceOptions: Map<string, string> | undefined): EncoderChoice {
  const params: string[] = [];
  if (sourceOptions) {
    for (const [key, value] of sourceOptions) {
      const name = key.startsWith('no-') ? key.slice(3) : key;
      if (X265_PARAMETER_SET_OPTIONS.has(name) && /^[\w.,:/-]+$/.test(value)) params.push(`${key}=${value}`);
    }
  } else {
    params.push(info.reorderDelay === 0 ? 'bframes=0' : 'bframes=4');
    if (info.level && info.level > 0) params.push(`level-idc=${(info.level / 30).toFixed(1)}`);
  }
  params.push(fpsParam(info));
  const args = [
    '-c:v',
    'libx265',
    '-pix_fmt',
    info.pixelFormat,
    '-x265-params',
    params.join(':'),
    ...bitRateArgs(info),
    ...colourArgs(info),
  ];
  return { args, description: `libx265 ${params.join(':')}` };
}

/**
 * Encoders of the ffmpeg from npm for the codecs they reproduce, by ffprobe's codec name: a full
 * re-encode keeps the codec (MJPEG stays MJPEG, H.263 stays H.263). Lossless and intra codecs get
 * no bit rate.
 */
const SAME_CODEC_ENCODERS: Readonly<Record<string, { readonly encoder: string; readonly lossless?: boolean }>> = {
  mpeg4: { encoder: 'mpeg4' },
  mpeg1video: { encoder: 'mpeg1video' },
  mpeg2video: { encoder: 'mpeg2video' },
  msmpeg4v2: { encoder: 'msmpeg4v2' },
  msmpeg4v3: { encoder: 'msmpeg4' },
  wmv1: { encoder: 'wmv1' },
  wmv2: { encoder: 'wmv2' },
  h263: { encoder: 'h263' },
  h263p: { encoder: 'h263p' },
  flv1: { encoder: 'flv' },
  mjpeg: { encoder: 'mjpeg' },
  theora: { encoder: 'libtheora' },
  svq1: { encoder: 'svq1' },
  cinepak: { encoder: 'cinepak' },
  prores: { encoder: 'prores_ks' },
  png: { encoder: 'png', lossless: true },
  ffv1: { encoder: 'ffv1', lossless: true },
  huffyuv: { encoder: 'huffyuv', lossless: true },
  ffvhuff: { encoder: 'ffvhuff', lossless: true },
  utvideo: { encoder: 'utvideo', lossless: true },
  qtrle: { encoder: 'qtrle', lossless: true },
  rawvideo: { encoder: 'rawvideo', lossless: true },
};

/** H.263 (ITU-T H.263 §5.1.5 source formats): the only picture sizes its baseline syntax can code. */
const H263_SIZES = new Set(['128x96', '176x144', '352x288', '704x576', '1408x1152']);

/**
 * The encoder for a full re-encode: the source's codec, with its pixel format, bit rate and (AVI,
 * QuickTime) FourCC. A codec the ffmpeg from npm cannot write is refused rather than changed.
 * `sourceOptions`: the source encoder's SEI options when it is x264/x265 for the same codec.
 */
export function fullEncoderArgs(info: VideoStreamInfo, sourceOptions: Map<string, string> | undefined): EncoderChoice {
  switch (info.codec) {
    case 'h264':
      return x264Args(info, sourceOptions, undefined);
    case 'hevc':
      return x265Args(info, sourceOptions);
    case 'vp9':
      return {
        args: ['-c:v', 'libvpx-vp9', '-pix_fmt', info.pixelFormat, '-deadline', 'good', '-cpu-used', '4', ...bitRateArgs(info)],
        description: 'libvpx-vp9',
      };
    case 'vp8':
      return { args: ['-c:v', 'libvpx', '-deadline', 'good', '-cpu-used', '4', ...bitRateArgs(info)], description: 'libvpx' };
    case 'av1':
      return {
        args: ['-c:v', 'libaom-av1', '-pix_fmt', info.pixelFormat, '-cpu-used', '8', '-strict', 'experimental', ...bitRateArgs(info)],
        description: 'libaom-av1',
      };
  }
  const same = SAME_CODEC_ENCODERS[info.codec];
  if (!same) {
    throw new UnsupportedFormatError(
      `no visible label: the video is ${info.codec || 'in an unknown codec'}, which the bundled ffmpeg cannot write back, and changing the codec would change the file's format; convert it to H.264 first`,
    );
  }
  const size = `${info.codedWidth}x${info.codedHeight}`;
  if (info.codec === 'h263' && !H263_SIZES.has(size)) {
    throw new UnsupportedFormatError(
      `no visible label: H.263 can only code 128×96, 176×144, 352×288, 704×576 and 1408×1152 pictures, and this one is ${info.codedWidth}×${info.codedHeight}`,
    );
  }
  const args = ['-c:v', same.encoder, '-pix_fmt', info.pixelFormat, ...(same.lossless ? [] : bitRateArgs(info)), ...colourArgs(info)];
  // AVI and QuickTime name the codec variant by FourCC (XVID, DIVX, jpeg, s263); keep the source's.
  if (info.codecTag && /avi|mov/.test(info.formatName)) args.push('-tag:v', info.codecTag);
  return { args, description: same.encoder };
}

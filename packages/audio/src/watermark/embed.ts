/**
 * The streaming watermark embedder. Interleaved float PCM at the source's own rate and channel
 * count goes in, the same PCM with the mark added comes out (delayed by a fixed latency, same
 * total length). The mark is computed on an 8 kHz mono copy: each STFT frame's 500-3500 Hz
 * patches are scaled up or down by a small factor (a multiplicative patchwork, so the mark
 * follows the programme's own spectrum), the difference is resynthesised, brought back to the
 * source rate and added to every channel (less to a channel quieter than the mono mix).
 */
import { payloadBits, UsageError } from '@aigc-label/core';
import { Resampler } from '../pcm/downsample.js';
import { Fft } from '../rhythm/fft.js';
import { encodeWithCrc } from './ecc.js';
import { BlockPlanner, PLAN_SAMPLES, synthesiseDelta } from './informed.js';
import {
  AUDIO_PAYLOAD_BITS,
  FFT_SIZE,
  FRAMES_PER_SLOT,
  HOP,
  PATCHES,
  SLOT_SAMPLES,
  SLOTS_PER_BLOCK,
  SYNC,
  sqrtHann,
  WATERMARK_RATE,
  WatermarkLayout,
} from './layout.js';

export interface WatermarkEmbedOptions {
  /** The watermark key (`--watermark-key`); default {@link DEFAULT_WATERMARK_KEY}, which is public. */
  readonly key?: string | undefined;
  /** The mark's amplitude relative to the programme below 4 kHz, before tonality shaping. Default {@link DEFAULT_STRENGTH}. */
  readonly strength?: number | undefined;
  /**
   * No 16 ms slot's mark comes closer than this to the slot's programme below 4 kHz, in dB
   * (so the segmental SNR stays above it). Default {@link DEFAULT_MIN_SEGMENT_SNR_DB}; lower
   * buys robustness to low-rate codecs with audibility.
   */
  readonly minSegmentSnrDb?: number | undefined;
}

/**
 * The mark's amplitude relative to the frame's 0-4 kHz programme (0.06 ≈ −24 dB), before the
 * per-patch tonality factors; the whole-band SNR is higher since the programme also has energy
 * above 4 kHz.
 */
export const DEFAULT_STRENGTH = 0.06;
/**
 * Against the 8 kHz copy's 0-4 kHz programme, so well below the segmental SNR at the source rate
 * (the budget in informed.ts sets that): at 20 dB this guard, not the budget, bound on programmes
 * with energy above 4 kHz (noise-like and speech clips stayed 3-6 dB above the 25 dB target).
 */
export const DEFAULT_MIN_SEGMENT_SNR_DB = 16;

/** A growable float buffer addressed by absolute sample index, dropping what is no longer needed. */
class Window64 {
  data = new Float64Array(8192);
  start = 0; // absolute index of data[0]
  length = 0;

  get end(): number {
    return this.start + this.length;
  }

  ensure(end: number): void {
    const need = end - this.start;
    if (need <= this.data.length) {
      if (need > this.length) {
        this.data.fill(0, this.length, need);
        this.length = need;
      }
      return;
    }
    const grown = new Float64Array(Math.max(need, 2 * this.data.length));
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
    this.length = need;
  }

  append(values: ArrayLike<number>): void {
    const at = this.length;
    this.ensure(this.end + values.length);
    for (let i = 0; i < values.length; i++) this.data[at + i] = values[i]!;
  }

  dropBefore(index: number): void {
    const drop = Math.min(index - this.start, this.length);
    if (drop <= 0) return;
    this.data.copyWithin(0, drop, this.length);
    this.length -= drop;
    this.start += drop;
  }
}

export class WatermarkEmbedder {
  private readonly planner: BlockPlanner;
  private readonly plans = new Map<number, Float64Array>(); // per block: log-amplitude change per cell
  private readonly window = sqrtHann(FFT_SIZE);
  private readonly fft = new Fft(FFT_SIZE);
  private readonly re = new Float64Array(FFT_SIZE);
  private readonly im = new Float64Array(FFT_SIZE);
  private readonly dre = new Float64Array(FFT_SIZE);
  private readonly dim = new Float64Array(FFT_SIZE);
  private readonly down: Resampler | null; // to the 8 kHz side and back: pass band 3.5 kHz, −6 dB at 4 kHz
  private readonly up: Resampler | null;
  private readonly host = new Window64(); // 8 kHz mono, from one slot before time 0
  private readonly delta8 = new Window64(); // the mark at 8 kHz
  private readonly deltaOut = new Window64(); // the mark at the source rate
  private readonly sourceSlots = new Window64(); // per slot: the source's energy (sum over its samples of the channels' mean square)
  private readonly channelSlots = new Window64(); // per slot, at slot × (channels + 1): the mix's energy, then each channel's (for the channel gains)
  private readonly perSlot: number; // source frames per slot
  private readonly pending: Float32Array[] = []; // source chunks not yet (wholly) emitted
  private pendingOffset = 0; // samples of pending[0] already emitted
  private emitted = 0; // source frames emitted
  private received = 0; // source frames received
  private nextFrame = 0; // next 8 kHz STFT frame to process
  private nextBlock = 0; // next block to plan
  private finished = false;

  /** `payload`: core's `watermarkPayload(label)`; its first {@link AUDIO_PAYLOAD_BITS} bits are carried. */
  constructor(
    payload: Uint8Array,
    readonly sampleRate: number,
    readonly channels: number,
    options: WatermarkEmbedOptions = {},
  ) {
    if (payload.length * 8 < AUDIO_PAYLOAD_BITS) throw new UsageError(`the watermark payload must be at least ${AUDIO_PAYLOAD_BITS} bits`);
    if (!Number.isInteger(sampleRate) || sampleRate < WATERMARK_RATE || sampleRate > 768_000) {
      throw new UsageError(`cannot watermark audio at ${sampleRate} Hz (${WATERMARK_RATE}-768000 Hz)`);
    }
    if (!Number.isInteger(channels) || channels < 1 || channels > 64) throw new UsageError(`cannot watermark ${channels} channels`);
    const strength = options.strength ?? DEFAULT_STRENGTH;
    if (!(strength > 0 && strength <= 1)) throw new UsageError('watermark strength must be in (0, 1]');
    const layout = new WatermarkLayout(options.key);
    const coded = encodeWithCrc(payloadBits(payload).subarray(0, AUDIO_PAYLOAD_BITS));
    const signs = new Float64Array(layout.role.length);
    for (let cell = 0; cell < layout.role.length; cell++) {
      const role = layout.role[cell]!;
      signs[cell] = layout.chip[cell]! * (role === SYNC ? 1 : coded[role] ? 1 : -1);
    }
    const minSnr = options.minSegmentSnrDb ?? DEFAULT_MIN_SEGMENT_SNR_DB;
    if (!(minSnr >= 0 && minSnr <= 60)) throw new UsageError('minimum segment SNR must be 0-60 dB');
    this.planner = new BlockPlanner(strength, minSnr, layout, signs);
    const resampled = sampleRate !== WATERMARK_RATE;
    this.down = resampled ? new Resampler(sampleRate, WATERMARK_RATE) : null;
    this.up = resampled ? new Resampler(WATERMARK_RATE, sampleRate) : null;
    this.perSlot = (SLOT_SAMPLES * sampleRate) / WATERMARK_RATE;
    // The first block's plan reads one slot before time 0: silence.
    this.host.start = -SLOT_SAMPLES;
    this.host.ensure(0);
  }

  /** Adds interleaved samples; returns the marked samples that are ready (possibly none). */
  push(chunk: Float32Array): Float32Array {
    if (this.finished) throw new UsageError('the watermark embedder has finished');
    if (chunk.length % this.channels !== 0) throw new UsageError('a PCM chunk must hold whole frames');
    const frames = chunk.length / this.channels;
    this.appendSource(chunk);
    this.measureSource(chunk, frames);
    this.received += frames;
    const mono = new Float64Array(frames);
    for (let i = 0; i < frames; i++) {
      let sum = 0;
      for (let c = 0; c < this.channels; c++) sum += chunk[i * this.channels + c]!;
      mono[i] = sum / this.channels;
    }
    this.host.append(this.down ? this.down.push(mono) : mono);
    this.process();
    return this.emit(this.deltaOut.end);
  }

  /** Ends the stream and returns the remaining marked samples. */
  finish(): Float32Array {
    if (this.finished) throw new UsageError('the watermark embedder has finished');
    this.finished = true;
    const length8 = this.down ? Math.ceil((this.received * WATERMARK_RATE) / this.sampleRate) : this.received;
    if (this.down) this.host.append(this.down.finish(length8));
    // Every frame that overlaps the programme is processed, with silence after its end.
    const lastFrame = Math.max(0, Math.ceil(length8 / HOP) - 1);
    const lastBlock = Math.floor(Math.floor(lastFrame / FRAMES_PER_SLOT) / SLOTS_PER_BLOCK);
    this.host.ensure(Math.max(this.host.end, (lastFrame + 1) * HOP + FFT_SIZE, this.planStart(lastBlock) + PLAN_SAMPLES));
    this.process(lastFrame + 1);
    if (this.up) this.deltaOut.append(this.up.finish(this.received));
    return this.emit(this.received);
  }

  /** The embedder's delay, in source frames, between a sample going in and coming out (about one block). */
  get latencyFrames(): number {
    return this.received - this.emitted;
  }

  /**
   * Adds the chunk's energy to the slots its samples fall in (sample by sample, so chunking does
   * not change the sums): the channels' mean square, for the planner's budget, and with several
   * channels the mix's energy and each channel's, for the channel gains.
   */
  private measureSource(chunk: Float32Array, frames: number): void {
    const { channels, sourceSlots, channelSlots, perSlot } = this;
    const stride = channels + 1;
    let slot = -1;
    let slotEnd = 0;
    let at = 0;
    for (let i = 0; i < frames; i++) {
      if (slot < 0 || this.received + i >= slotEnd) {
        slot = Math.floor((this.received + i) / perSlot);
        slotEnd = (slot + 1) * perSlot;
        sourceSlots.ensure(slot + 1);
        if (channels > 1) {
          channelSlots.ensure((slot + 1) * stride);
          at = slot * stride - channelSlots.start;
        }
      }
      let sum = 0;
      let e = 0;
      for (let c = 0; c < channels; c++) {
        const x = chunk[i * channels + c]!;
        sum += x;
        e += x * x;
        if (channels > 1) channelSlots.data[at + 1 + c]! += x * x;
      }
      sourceSlots.data[slot - sourceSlots.start]! += e / channels;
      if (channels > 1) channelSlots.data[at]! += (sum / channels) ** 2;
    }
  }

  /**
   * Each channel's gain on the mark in `slot`: 1, or the channel's amplitude over the mix's where
   * the channel is the quieter, so that no channel's mark is louder against its own programme
   * than the plan put it against the mix; a silent channel gets none (where every channel is
   * silent the gains stay 1, as the mark is then only the tail of a neighbouring frame's). Slots
   * not measured take their nearest measured neighbour's gains.
   */
  private channelGains(slot: number, gains: Float64Array): void {
    const { channels, channelSlots } = this;
    const stride = channels + 1;
    const first = channelSlots.start / stride;
    const last = channelSlots.end / stride - 1;
    const at = (Math.max(first, Math.min(last, slot)) - first) * stride;
    const mix = channelSlots.data[at]!;
    for (let c = 0; c < channels; c++) {
      const own = channelSlots.data[at + 1 + c]!;
      gains[c] = own >= mix ? 1 : Math.sqrt(own / mix);
    }
  }

  private appendSource(chunk: Float32Array): void {
    // Copied: the caller may reuse its buffer once push returns.
    if (chunk.length > 0) this.pending.push(chunk.slice());
  }

  /** First 8 kHz sample a block's plan reads. */
  private planStart(block: number): number {
    return (block * SLOTS_PER_BLOCK - 1) * SLOT_SAMPLES;
  }

  /** Plans the blocks and marks the frames the host now allows (at most `frameLimit` frames in all). */
  private process(frameLimit = Number.POSITIVE_INFINITY): void {
    // Plans run at most one block ahead of the frames, so a plan is never dropped before use.
    for (let progress = true; progress; ) {
      progress = false;
      const frameBlock = Math.floor(Math.floor(this.nextFrame / FRAMES_PER_SLOT) / SLOTS_PER_BLOCK);
      if (
        this.nextBlock <= frameBlock + 1 &&
        this.planStart(this.nextBlock) + PLAN_SAMPLES <= this.host.end &&
        this.nextBlock * SLOTS_PER_BLOCK * FRAMES_PER_SLOT < frameLimit
      ) {
        const from = this.planStart(this.nextBlock) - this.host.start;
        const firstSlot = this.nextBlock * SLOTS_PER_BLOCK - 1;
        const source = new Float64Array(SLOTS_PER_BLOCK + 2);
        const gains = new Float64Array(this.channels);
        for (let i = 0; i < source.length; i++) {
          const at = firstSlot + i - this.sourceSlots.start;
          source[i] = at >= 0 && at < this.sourceSlots.length ? this.sourceSlots.data[at]! : 0;
          if (this.channels === 1 || source[i] === 0) continue;
          // The channels' mean square over the mean of their marks' squared gains: what the
          // segmental SNR of all channels sees, the mark planned on the mix being 1.
          this.channelGains(firstSlot + i, gains);
          let squares = 0;
          for (const g of gains) squares += g * g;
          source[i] = squares > 0 ? (source[i]! * this.channels) / squares : 0;
        }
        this.sourceSlots.dropBefore(Math.max(0, firstSlot));
        const plan = this.planner.plan(
          this.host.data.subarray(from, from + PLAN_SAMPLES),
          this.plans.get(this.nextBlock - 1) ?? null,
          source,
          this.sampleRate / WATERMARK_RATE,
        );
        this.plans.set(this.nextBlock, plan);
        this.plans.delete(this.nextBlock - 2);
        this.nextBlock++;
        progress = true;
      }
      while (this.nextFrame < frameLimit && this.nextFrame * HOP + FFT_SIZE <= this.host.end) {
        const slot = Math.floor(this.nextFrame / FRAMES_PER_SLOT);
        const plan = this.plans.get(Math.floor(slot / SLOTS_PER_BLOCK));
        if (!plan) break;
        this.markFrame(this.nextFrame, plan, (slot % SLOTS_PER_BLOCK) * PATCHES);
        this.nextFrame++;
        progress = true;
      }
    }
    // Samples before the next frame's start receive no more contributions.
    const final = this.nextFrame * HOP;
    this.host.dropBefore(Math.min(final, this.planStart(this.nextBlock)));
    const ready = this.delta8.data.subarray(0, Math.max(0, final - this.delta8.start));
    if (ready.length > 0) {
      this.deltaOut.append(this.up ? this.up.push(ready) : ready);
      this.delta8.dropBefore(final);
    }
  }

  private markFrame(frame: number, plan: Float64Array, cellBase: number): void {
    const { re, im, dre, dim, window } = this;
    const at = frame * HOP;
    const offset = at - this.host.start;
    for (let i = 0; i < FFT_SIZE; i++) {
      re[i] = this.host.data[offset + i]! * window[i]!;
      im[i] = 0;
    }
    this.fft.transform(re, im);
    this.delta8.ensure(at + FFT_SIZE);
    if (!synthesiseDelta(re, im, plan, cellBase, dre, dim, this.fft)) return;
    const base = at - this.delta8.start;
    for (let i = 0; i < FFT_SIZE; i++) this.delta8.data[base + i]! += dre[i]! * window[i]!;
  }

  /** Emits source frames up to `until` (exclusive) with the mark added. */
  private emit(until: number): Float32Array {
    const count = Math.min(until, this.deltaOut.end) - this.emitted;
    if (count <= 0) return new Float32Array(0);
    const { channels } = this;
    const out = new Float32Array(count * channels);
    for (let filled = 0; filled < out.length; ) {
      const head = this.pending[0]!;
      const take = Math.min(head.length - this.pendingOffset, out.length - filled);
      out.set(head.subarray(this.pendingOffset, this.pendingOffset + take), filled);
      filled += take;
      this.pendingOffset += take;
      if (this.pendingOffset === head.length) {
        this.pending.shift();
        this.pendingOffset = 0;
      }
    }
    const base = this.emitted - this.deltaOut.start;
    // Channel gains, interpolated between slot centres so that they change smoothly; one run of
    // samples per pair of centres, and a plain sum where every gain is 1 (most stereo).
    const before = new Float64Array(channels).fill(1);
    const after = new Float64Array(channels).fill(1);
    for (let i = 0; i < count; ) {
      let end = count;
      let slot = 0;
      let unity = true;
      if (channels > 1) {
        slot = Math.floor((this.emitted + i) / this.perSlot - 0.5);
        end = Math.min(count, Math.max(i + 1, Math.ceil((slot + 1.5) * this.perSlot) - this.emitted)); // at least one sample, whatever the rounding
        this.channelGains(slot, before);
        this.channelGains(slot + 1, after);
        for (let c = 0; c < channels; c++) unity &&= before[c] === 1 && after[c] === 1;
      }
      for (; i < end; i++) {
        const d = this.deltaOut.data[base + i]!;
        const weight = unity ? 0 : (this.emitted + i) / this.perSlot - 0.5 - slot;
        for (let c = 0; c < channels; c++) {
          const x = out[i * channels + c]!;
          let v = unity ? x + d : x + d * (before[c]! + weight * (after[c]! - before[c]!));
          // Never push a sample past full scale that was within it.
          if (v > 1 && x <= 1) v = 1;
          else if (v < -1 && x >= -1) v = -1;
          out[i * channels + c] = v;
        }
      }
    }
    this.emitted += count;
    this.deltaOut.dropBefore(this.emitted);
    if (channels > 1) this.channelSlots.dropBefore(Math.max(0, Math.floor(this.emitted / this.perSlot) - 1) * (channels + 1));
    return out;
  }
}

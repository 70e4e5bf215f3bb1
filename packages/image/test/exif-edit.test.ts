import {
  AigcLabelError,
  ascii,
  bytesSource,
  concat,
  encodeWrapped,
  LimitExceededError,
  labelBytes,
  MalformedInputError,
  utf8,
} from '@aigc-label/core';
import ExifReader from 'exifreader';
import { describe, expect, it } from 'vitest';
import { prng, sampleLabel } from '../../../test/handler-contract.js';
import { withTool } from '../../../test/oracles.js';
import { jpeg } from '../src/jpeg/index.js';
import { isExif, listSegments, makeSegment, payload } from '../src/jpeg/segments.js';
import { editExifPayload } from '../src/shared/exif-edit.js';
import { entryNumber, exifDirectories, exifTextCarriers, type Ifd, type IfdEntry, ifdEnd, readIfd } from '../src/shared/tiff-ifd.js';
import { exiftoolTags, expectOnlyChanged, gradient, pixels, readLabel, toBytes } from './helpers.js';
import { asciiz, type EntrySpec, ifdWithValues, numbers, Type, tiffData } from './tiff-builder.js';

// Canon writes little-endian EXIF; its MakerNote is an IFD whose value offsets count from the TIFF header.
const LE = true;
const EXIF_PREFIX = ascii('Exif\0\0');
const short = (...v: number[]) => numbers(LE, 2, ...v);
const long = (...v: number[]) => numbers(LE, 4, ...v);
const rational = (...pairs: number[]) => numbers(LE, 4, ...pairs);
const userComment = (text: string) => concat([ascii('ASCII\0\0\0'), utf8(text)]);
const wrapped = (produceId: string) => encodeWrapped(sampleLabel({ ProduceID: produceId, PropagateID: produceId }));

interface CameraOptions {
  /** UserComment text in the Exif IFD. */
  readonly comment?: string;
  /** UserComment text misplaced in IFD0. */
  readonly ifd0Comment?: string;
  readonly description?: string;
}

/**
 * The EXIF of a camera JPEG, built by hand because no library writes all of it: IFD0 (Make
 * Canon, Orientation), the Exif IFD (OffsetTime 0x9010, which piexifjs does not know, and a
 * Canon MakerNote whose values sit at absolute offsets), GPS, and IFD1 with a JPEG thumbnail.
 */
function cameraExif(thumbnail: Uint8Array, options: CameraOptions = {}): Uint8Array {
  const makerNote: EntrySpec[] = [
    { tag: 0x0006, type: Type.ascii, value: asciiz('Canon EOS TEST') },
    { tag: 0x0007, type: Type.ascii, value: asciiz('Firmware Version 1.0.0') },
    { tag: 0x0009, type: Type.ascii, value: asciiz('Test Owner'.padEnd(31, ' ')) },
  ];
  const ifd0: EntrySpec[] = [
    ...(options.description === undefined ? [] : [{ tag: 270, type: Type.ascii, value: asciiz(options.description) }]),
    { tag: 271, type: Type.ascii, value: asciiz('Canon') },
    { tag: 272, type: Type.ascii, value: asciiz('Canon EOS TEST') },
    { tag: 274, type: Type.short, value: short(6) },
    { tag: 282, type: Type.rational, value: rational(72, 1) },
    { tag: 283, type: Type.rational, value: rational(72, 1) },
    { tag: 296, type: Type.short, value: short(2) },
    { tag: 34665, type: Type.long, value: (w) => long(w.ifd(1)) },
    { tag: 34853, type: Type.long, value: (w) => long(w.ifd(2)) },
    ...(options.ifd0Comment === undefined ? [] : [{ tag: 37510, type: Type.undefined, value: userComment(options.ifd0Comment) }]),
  ];
  const exif: EntrySpec[] = [
    { tag: 33434, type: Type.rational, value: rational(1, 125) },
    { tag: 36864, type: Type.undefined, value: ascii('0232') },
    { tag: 36867, type: Type.ascii, value: asciiz('2026:01:02 03:04:05') },
    { tag: 36880, type: Type.ascii, value: asciiz('+08:00') },
    { tag: 36881, type: Type.ascii, value: asciiz('+08:00') },
    { tag: 37500, type: Type.undefined, value: (w) => ifdWithValues(LE, w.at, makerNote, 0, w) },
    ...(options.comment === undefined ? [] : [{ tag: 37510, type: Type.undefined, value: userComment(options.comment) }]),
    { tag: 40961, type: Type.short, value: short(1) },
  ];
  const gps: EntrySpec[] = [
    { tag: 0, type: Type.byte, value: Uint8Array.of(2, 3, 0, 0) },
    { tag: 1, type: Type.ascii, value: asciiz('N') },
    { tag: 2, type: Type.rational, value: rational(39, 1, 54, 1, 2700, 100) },
    { tag: 3, type: Type.ascii, value: asciiz('E') },
    { tag: 4, type: Type.rational, value: rational(116, 1, 23, 1, 2900, 100) },
  ];
  const ifd1: EntrySpec[] = [
    { tag: 259, type: Type.short, value: short(6) },
    { tag: 513, type: Type.long, value: (w) => long(w.blob(0)) },
    { tag: 514, type: Type.long, value: long(thumbnail.length) },
  ];
  return tiffData(LE, [{ entries: ifd0, next: 3 }, { entries: exif }, { entries: gps }, { entries: ifd1 }], [thumbnail]);
}

/** A sharp-made JPEG with `tiff` as its EXIF APP1, right after JFIF APP0. */
async function cameraJpeg(options: CameraOptions = {}): Promise<Uint8Array> {
  const base = await toBytes(gradient().jpeg());
  const thumbnail = await toBytes(gradient(8, 6).jpeg());
  const first = (listSegments(base) ?? [])[0];
  const at = first.marker === 0xe0 ? first.end : 2;
  const app1 = makeSegment(0xe1, concat([EXIF_PREFIX, cameraExif(thumbnail, options)]));
  return concat([base.subarray(0, at), app1, base.subarray(at)]);
}

/** The TIFF stream of a JPEG's EXIF APP1. */
function exifTiff(file: Uint8Array): Uint8Array {
  const segment = (listSegments(file) ?? []).find((s) => isExif(file, s));
  if (!segment) throw new Error('no EXIF segment');
  return payload(file, segment).subarray(EXIF_PREFIX.length);
}

type Range = readonly [number, number];
const valueRange = (e: IfdEntry): Range => [e.valueOffset, e.valueOffset + e.valueLength];
const entryRange = (e: IfdEntry): Range => [e.entryOffset, e.entryOffset + 12];
const ifdRange = (ifd: Ifd): Range => [ifd.offset, ifd.nextPointerOffset + 4];

async function directories(tiff: Uint8Array) {
  const dirs = await exifDirectories(bytesSource(tiff), 'jpeg');
  const exifIfd = dirs.exifIfd as Ifd;
  const find = (ifd: Ifd, tag: number) => ifd.entries.find((e) => e.tag === tag) as IfdEntry;
  return { ...dirs, exifIfd, find };
}

/** The IFDs and values that no labeling may touch: GPS, IFD1, the MakerNote and the thumbnail, raw. */
async function untouchable(tiff: Uint8Array) {
  const { header, ifd0, exifIfd, find } = await directories(tiff);
  const source = bytesSource(tiff);
  const gps = await readIfd(source, entryNumber(header, find(ifd0, 34853)) ?? 0, header, 'jpeg');
  const ifd1 = await readIfd(source, ifd0.nextOffset, header, 'jpeg');
  const thumbnailAt = entryNumber(header, find(ifd1, 513)) ?? 0;
  const slice = ([start, end]: Range) => Array.from(tiff.subarray(start, end));
  return {
    gps: slice(ifdRange(gps)),
    ifd1: slice(ifdRange(ifd1)),
    offsetTime: slice(valueRange(find(exifIfd, 36880))),
    makerNote: slice(valueRange(find(exifIfd, 37500))),
    thumbnail: slice([thumbnailAt, thumbnailAt + (entryNumber(header, find(ifd1, 514)) ?? 0)]),
  };
}

describe('EXIF edited in place (JPEG APP1)', () => {
  it('adds UserComment by appending a grown Exif IFD: only the Exif IFD pointer changes among the old bytes', async () => {
    const input = await cameraJpeg();
    const label = sampleLabel();
    const { bytes } = await labelBytes(jpeg, input, label, { alternativeCarrier: true });
    const before = exifTiff(input);
    const after = exifTiff(bytes);
    const { ifd0, find } = await directories(before);
    const pointer = find(ifd0, 34665);
    expectOnlyChanged(before, after, [[pointer.entryOffset + 8, pointer.entryOffset + 12]]);
    expect(after.length).toBeGreaterThan(before.length);
    expect(await untouchable(after)).toEqual(await untouchable(before));
    const read = await jpeg.read(bytesSource(bytes));
    expect(read.carriers.map((c) => [c.carrier, c.form, c.label])).toEqual([
      ['xmp', 'bare', label],
      ['exif-user-comment', 'wrapped', label],
    ]);
    const tags = ExifReader.load(bytes.buffer as ArrayBuffer, { expanded: true });
    expect(JSON.parse(String((tags.exif?.UserComment as { description?: string } | undefined)?.description))).toEqual({ AIGC: label });
    expect(await pixels(bytes)).toEqual(await pixels(input));
  });

  it('writes a new UserComment over the old value when it fits, zeroing what is left of it', async () => {
    const input = await cameraJpeg({ comment: wrapped('a-much-longer-produce-id-than-the-new-one') });
    const label = sampleLabel({ ProduceID: 'short-1', PropagateID: 'short-1' });
    const { bytes } = await labelBytes(jpeg, input, label, { alternativeCarrier: true });
    const before = exifTiff(input);
    const after = exifTiff(bytes);
    const { exifIfd, find } = await directories(before);
    const old = find(exifIfd, 37510);
    expectOnlyChanged(before, after, [entryRange(old), valueRange(old)]);
    expect(after.length).toBe(before.length);
    const value = userComment(encodeWrapped(label));
    expect(after.subarray(old.valueOffset, old.valueOffset + value.length)).toEqual(value);
    expect(after.subarray(old.valueOffset + value.length, old.valueOffset + old.valueLength).every((b) => b === 0)).toBe(true);
    expect((await readLabel(jpeg, bytes)).label).toEqual(label);
  });

  it('appends a longer UserComment and zeroes the old value, so no stale label is left', async () => {
    const input = await cameraJpeg({ comment: wrapped('old-1') });
    const label = sampleLabel({ ProduceID: 'a-longer-produce-id-0002', PropagateID: 'a-longer-produce-id-0002' });
    const { bytes } = await labelBytes(jpeg, input, label, { alternativeCarrier: true });
    const before = exifTiff(input);
    const after = exifTiff(bytes);
    const { exifIfd, find } = await directories(before);
    const old = find(exifIfd, 37510);
    expectOnlyChanged(before, after, [entryRange(old), valueRange(old)]);
    expect(after.subarray(...valueRange(old)).every((b) => b === 0)).toBe(true);
    expect(new TextDecoder('latin1').decode(bytes)).not.toContain('old-1');
    expect(await untouchable(after)).toEqual(await untouchable(before));
    expect((await readLabel(jpeg, bytes)).label).toEqual(label);
  });

  it('removes a UserComment label in place when relabeling without the extra (one label per file)', async () => {
    const input = await cameraJpeg({ comment: wrapped('old-1') });
    const { bytes, findings } = await labelBytes(jpeg, input, sampleLabel());
    const before = exifTiff(input);
    const after = exifTiff(bytes);
    const { exifIfd, find } = await directories(before);
    const old = find(exifIfd, 37510);
    expectOnlyChanged(before, after, [ifdRange(exifIfd), valueRange(old)]);
    expect(after.length).toBe(before.length);
    expect((await directories(after)).exifIfd.entries.map((e) => e.tag)).toEqual(
      exifIfd.entries.map((e) => e.tag).filter((t) => t !== 37510),
    );
    expect((await jpeg.read(bytesSource(bytes))).carriers.map((c) => c.carrier)).toEqual(['xmp']);
    expect(findings.map((f) => f.message)).toEqual([
      expect.stringMatching(/^removed the label in APP1 Exif at byte \d+, Exif IFD UserComment; it is now in XMP \(one label per file\)$/),
    ]);
  });

  it('keeps a UserComment that is not a label while removing an ImageDescription label', async () => {
    const input = await cameraJpeg({ comment: 'holiday in Beijing', description: JSON.stringify(sampleLabel({ ProduceID: 'old-1' })) });
    const { bytes } = await labelBytes(jpeg, input, sampleLabel());
    const after = await directories(exifTiff(bytes));
    expect(after.ifd0.entries.some((e) => e.tag === 270)).toBe(false);
    const comment = after.find(after.exifIfd, 37510);
    expect(new TextDecoder().decode(exifTiff(bytes).subarray(...valueRange(comment)))).toBe('ASCII\0\0\0holiday in Beijing');
  });

  it('reads a label in a UserComment misplaced in IFD0 as non-canonical, and moves it to XMP', async () => {
    const old = sampleLabel({ ProduceID: 'old-1', PropagateID: 'old-1' });
    const input = await cameraJpeg({ ifd0Comment: encodeWrapped(old) });
    const read = await jpeg.read(bytesSource(input));
    expect(read.carriers).toHaveLength(1);
    const [carrier] = read.carriers;
    expect(carrier).toMatchObject({ carrier: 'exif-user-comment', canonical: false, form: 'wrapped', label: old });
    expect(carrier.location).toMatch(/IFD0 UserComment$/);
    const nonCanonical = carrier.findings.find((f) => f.rule === 'carrier/non-canonical');
    expect(nonCanonical?.message).toMatch(/in IFD0; .* put it in the Exif IFD, and the guide names XMP TC260:AIGC first/);
    expect((await readLabel(jpeg, input)).label).toEqual(old);

    const { bytes } = await labelBytes(jpeg, input, sampleLabel());
    const before = exifTiff(input);
    const { ifd0, find } = await directories(before);
    expectOnlyChanged(before, exifTiff(bytes), [ifdRange(ifd0), valueRange(find(ifd0, 37510))]);
    expect((await jpeg.read(bytesSource(bytes))).carriers.map((c) => c.carrier)).toEqual(['xmp']);
  });

  it('makes a fresh EXIF block with the UserComment when the JPEG has none', async () => {
    const input = await toBytes(gradient().jpeg());
    expect((listSegments(input) ?? []).some((s) => isExif(input, s))).toBe(false);
    const label = sampleLabel();
    const { bytes } = await labelBytes(jpeg, input, label, { alternativeCarrier: true });
    const tags = ExifReader.load(bytes.buffer as ArrayBuffer, { expanded: true });
    expect(JSON.parse(String((tags.exif?.UserComment as { description?: string } | undefined)?.description))).toEqual({ AIGC: label });
    expect(await pixels(bytes)).toEqual(await pixels(input));
  });

  withTool('exiftool')(
    'ExifTool reads every other tag unchanged (OffsetTime, Canon MakerNote, GPS, thumbnail), with no warning',
    async () => {
      const label = sampleLabel({ ProduceID: 'new-0002', PropagateID: 'new-0002' });
      const scenarios: [string, CameraOptions, boolean, string[]][] = [
        ['added', {}, true, ['ExifIFD:UserComment']],
        ['replaced', { comment: wrapped('old-1') }, true, ['ExifIFD:UserComment']],
        ['removed', { comment: wrapped('old-1') }, false, ['ExifIFD:UserComment']],
        ['moved out of IFD0', { ifd0Comment: wrapped('old-1') }, false, ['IFD0:UserComment']],
      ];
      for (const [name, options, extra, changedTags] of scenarios) {
        const input = await cameraJpeg(options);
        const { bytes } = await labelBytes(jpeg, input, label, { alternativeCarrier: extra });
        const before = exiftoolTags(input, 'jpg');
        const after = exiftoolTags(bytes, 'jpg');
        // The fixture has what the issue names, and ExifTool finds the MakerNote values at their absolute offsets.
        expect(before).toMatchObject({
          'ExifIFD:OffsetTime': '+08:00',
          'Canon:CanonImageType': 'Canon EOS TEST',
          'Canon:CanonFirmwareVersion': 'Firmware Version 1.0.0',
          'GPS:GPSLatitudeRef': 'North',
        });
        expect(String(before['IFD1:ThumbnailImage'])).toMatch(/^base64:/);
        const others = (tags: Record<string, unknown>) =>
          Object.fromEntries(Object.entries(tags).filter(([key]) => !key.startsWith('XMP') && !changedTags.includes(key)));
        expect(others(after), name).toEqual(others(before));
        expect(after['ExifTool:Warning'], name).toBeUndefined();
        if (extra) expect(JSON.parse(String(after['ExifIFD:UserComment'])), name).toEqual({ AIGC: label });
        else for (const key of changedTags) expect(after[key], name).toBeUndefined();
      }
    },
  );
});

describe('EXIF editing on bad input', () => {
  const exifPayload = async (options: CameraOptions = {}) =>
    concat([EXIF_PREFIX, cameraExif(await toBytes(gradient(8, 6).jpeg()), options)]);

  it('refuses an Exif IFD that is IFD0 itself, and a hostile entry count, with toolkit errors', async () => {
    const good = await exifPayload({ ifd0Comment: wrapped('old-1') });
    const tiff = good.subarray(EXIF_PREFIX.length);
    const { ifd0, find } = await directories(tiff);
    const selfPointing = good.slice();
    new DataView(selfPointing.buffer).setUint32(EXIF_PREFIX.length + find(ifd0, 34665).entryOffset + 8, ifd0.offset, LE);
    // Both "IFDs" hold the label: removing it from each would write the same bytes twice.
    await expect(editExifPayload(selfPointing, null, 'jpeg')).rejects.toThrow(/TIFF structures overlap/);
    const hugeCount = good.slice();
    new DataView(hugeCount.buffer).setUint16(EXIF_PREFIX.length + ifd0.offset, 0xffff, LE);
    await expect(editExifPayload(hugeCount, null, 'jpeg')).rejects.toBeInstanceOf(LimitExceededError);
    await expect(editExifPayload(good.subarray(0, 40), null, 'jpeg')).rejects.toBeInstanceOf(MalformedInputError);
  });

  it('reads and edits damaged EXIF with toolkit errors only, never a RangeError (seeded mutations)', async () => {
    const good = await exifPayload({ comment: wrapped('old-1'), ifd0Comment: 'plain text' });
    const escapes: string[] = [];
    for (let seed = 1; seed <= 600; seed++) {
      const next = prng(seed);
      const bad = good.slice();
      const flips = 1 + Math.floor(next() * 6);
      for (let i = 0; i < flips; i++) {
        // Mostly in the IFDs and pointers near the start, where a byte changes a count or an offset.
        const at = EXIF_PREFIX.length + Math.floor(next() ** 2 * (bad.length - EXIF_PREFIX.length));
        bad[at] = Math.floor(next() * 256);
      }
      for (const work of [
        () => editExifPayload(bad, wrapped('new-1'), 'jpeg'),
        () => editExifPayload(bad, null, 'jpeg'),
        () => exifTextCarriers(bytesSource(bad.subarray(EXIF_PREFIX.length)), 0, 'EXIF', 'jpeg'),
      ]) {
        try {
          await work();
        } catch (error) {
          if (!(error instanceof AigcLabelError))
            escapes.push(`seed ${seed}: ${(error as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
        }
      }
    }
    expect(escapes).toEqual([]);
  });

  it('keeps an IFD end inside the data it was read from', async () => {
    const tiff = (await exifPayload()).subarray(EXIF_PREFIX.length);
    const { header, ifd0 } = await directories(tiff);
    expect(ifdEnd(ifd0, header)).toBeLessThanOrEqual(tiff.length);
  });
});

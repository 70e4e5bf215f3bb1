import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import {
  type AigcLabel,
  type ByteSource,
  bytesSource,
  type Finding,
  finding,
  otherProducers,
  planLabelWrite,
  Rules,
  readAll,
  summarizeCarriers,
  UsageError,
  verifyWritten,
} from '@aigc-label/core';
import {
  type CommonOptions,
  detectWith,
  type LabelOptions,
  labelFromOptions,
  resolveHandler,
  type VerifyOptions,
  verifyFromDetect,
  writeOptionsFrom,
} from './buffer.js';
import {
  applyExplicitBytes,
  applyExplicitFile,
  detectExplicit,
  type ExplicitDetectOptions,
  type ExplicitLabelOptions,
  type ExplicitSummary,
  explicitSupport,
  mergeExplicit,
  withParameterSets,
} from './explicit.js';
import { type FileIoOptions, openFileSource, temporaryBeside, writeAtomically } from './file-io.js';
import { type DetectReport, type LabelReport, REPORT_SCHEMA_VERSION, type VerifyReport } from './reports.js';

/** Prefixes an error's message with the file it concerns, once. */
export function inFile<E>(path: string, error: E): E {
  if (error instanceof Error && !error.message.startsWith(`${path}:`)) error.message = `${path}: ${error.message}`;
  return error;
}

async function withSource<T>(path: string, options: FileIoOptions, work: (source: ByteSource) => Promise<T>): Promise<T> {
  const { source, close } = await openFileSource(path, options);
  try {
    return await work(source);
  } catch (error) {
    throw inFile(path, error);
  } finally {
    await close();
  }
}

/**
 * Reads every label carrier in a file, and looks for explicit labels: always in
 * text, the ·−·· rhythm in audio and video unless `rhythm: false`, and with
 * `ocr: true` visible labels in images and sampled video frames.
 */
export const detectFile = (path: string, options: CommonOptions & ExplicitDetectOptions & FileIoOptions = {}): Promise<DetectReport> =>
  withSource(path, options, async (source) => {
    const { handler, findings } = await resolveHandler(source, { filename: path, ...options });
    const report = await detectWith(handler, source, path, findings);
    return mergeExplicit(report, await detectExplicit(handler, { path, bytes: () => readAll(source, handler.id) }, options));
  });

/** Decides what a platform must show for a file (Measures Art. 6). */
export async function verifyFile(path: string, options: VerifyOptions & ExplicitDetectOptions & FileIoOptions = {}): Promise<VerifyReport> {
  return verifyFromDetect(await detectFile(path, options), options.declared ?? false);
}

export interface LabelFileOptions extends LabelOptions, ExplicitLabelOptions, FileIoOptions {
  /** Exact output path. */
  readonly output?: string | undefined;
  /** Output folder; the file keeps its name. */
  readonly outDir?: string | undefined;
  /** Overwrite the input. Without this (or `output`/`outDir`) the output is NAME.labeled.EXT. */
  readonly inPlace?: boolean | undefined;
  /** fsync the output before renaming it into place (always done for `inPlace`). */
  readonly durable?: boolean | undefined;
}

/** Where `labelFile` writes: `output`, `outDir/NAME`, the input itself, or NAME.labeled.EXT. */
export function outputPathFor(input: string, options: LabelFileOptions): string {
  if (options.inPlace) return input;
  if (options.output) return options.output;
  if (options.outDir) return join(options.outDir, basename(input));
  const ext = extname(input);
  return join(dirname(input), `${basename(input, ext)}.labeled${ext}`);
}

/**
 * Labels a file: first the explicit label where the format has one (a visible
 * label on images and video, the ·−·· rhythm on audio, a text prompt in text;
 * `explicit: false` skips it, and it is not added again to a file that already
 * carries a label), then the implicit metadata label. The output goes to a
 * temporary file in the target folder, is read back and checked, and only then
 * renamed into place, so a failure leaves no partial output and the input untouched.
 */
export async function labelFile(path: string, options: LabelFileOptions): Promise<LabelReport> {
  const label = labelFromOptions(options);
  const output = outputPathFor(path, options);
  if (!options.inPlace && resolve(output) === resolve(path)) {
    throw new UsageError(`${path}: the output is the input; pass --in-place (inPlace: true) to overwrite it`);
  }
  const scratch: string[] = [];
  const opened: (() => Promise<void>)[] = [];
  try {
    return await withSource(path, options, async (source) => {
      const resolved = await resolveHandler(source, { filename: path, ...options });
      const handler = resolved.handler;
      const findings: Finding[] = [...resolved.findings];
      const before = summarizeCarriers(await handler.read(source));
      otherProducers(before, label, options.force); // refuse before any expensive explicit work
      let working: ByteSource = source;
      let explicit: ExplicitSummary | null = null;
      const support = options.explicit === false ? 'none' : explicitSupport(handler);
      if (support !== 'none' && before.label !== null && !options.redraw) {
        findings.push(finding('explicit/skipped', 'info', 'the file already carries a label, so the explicit label is not added again'));
      } else if (support === 'bytes') {
        const result = await applyExplicitBytes(handler, await readAll(source, handler.id), options);
        working = bytesSource(result.bytes);
        explicit = result.summary;
        findings.push(...result.findings);
      } else if (support === 'file') {
        const labeled = temporaryBeside(output, 'explicit');
        const workDir = temporaryBeside(output, 'work');
        scratch.push(labeled, workDir);
        await mkdir(workDir, { recursive: true });
        const result = await applyExplicitFile(handler, path, labeled, workDir, options);
        const file = await openFileSource(labeled, options);
        opened.push(file.close);
        const fixed = await withParameterSets(handler, file.source, result.parameterSets);
        working = fixed.source;
        explicit = result.summary;
        findings.push(...result.findings, ...fixed.findings);
      }
      if (handler.id === 'txt') {
        // Plain text has no metadata carrier (TC260-PG-20258A names none): the explicit label is all it can carry.
        if (!explicit) await handler.write(working, label, writeOptionsFrom(options));
        await writeAtomically(output, { segments: [{ from: 0, length: working.size }] }, working, async () => {}, {
          blockingIo: options.blockingIo,
          durable: options.inPlace === true || options.durable === true,
        });
        findings.push(finding(Rules.nonNormativeCarrier, 'info', 'plain text has no metadata carrier; only the explicit label was added'));
        return report(path, output, handler.id, label, before.label, findings, explicit);
      }
      const planned = await planLabelWrite(handler, working, label, {
        ...writeOptionsFrom(options),
        ...(working === source ? { before } : {}),
      });
      await writeAtomically(
        output,
        planned.plan,
        working,
        async (written) => {
          await verifyWritten(handler, written, label);
        },
        { blockingIo: options.blockingIo, durable: options.inPlace === true || options.durable === true },
      );
      return report(path, output, handler.id, label, before.label, [...findings, ...planned.findings], explicit);
    });
  } finally {
    for (const close of opened) await close();
    for (const file of scratch) await rm(file, { recursive: true, force: true });
  }
}

function report(
  file: string,
  output: string,
  format: string,
  label: AigcLabel,
  previous: AigcLabel | null,
  findings: Finding[],
  explicit: ExplicitSummary | null,
): LabelReport {
  return { schemaVersion: REPORT_SCHEMA_VERSION, file, output, format, label, previous, findings, explicit };
}

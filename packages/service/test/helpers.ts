import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, run } from '@aigc-label/cli';
import { Ajv2020 } from 'ajv/dist/2020.js';
import sharp from 'sharp';
import { buildServer, type JobRunner, type ServiceOptions } from '../src/index.js';

export const PRODUCER = '001191440300708461136T1XGW3';
export const PLATFORM = '001191110108MA01XXXX0X20001';

const schema = JSON.parse(await readFile(join(import.meta.dirname, '..', '..', '..', 'schema', 'reports.schema.json'), 'utf8'));
export const validateReport = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

/** The CLI in-process: what `aigc-label ARGV` prints. */
export async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

export const jpeg = (color: string, size = 32) =>
  sharp({ create: { width: size, height: size, channels: 3, background: color } })
    .jpeg()
    .toBuffer();

/** A 16-bit mono PCM WAV of `samples` zero samples (audio: the audible search makes its job media-cost). */
export function wav(samples: number): Uint8Array {
  const data = samples * 2;
  const out = Buffer.alloc(44 + data);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + data, 4);
  out.write('WAVEfmt ', 8, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(16_000, 24);
  out.writeUInt32LE(32_000, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(data, 40);
  return new Uint8Array(out);
}

export interface Running {
  readonly url: string;
  readonly port: number;
  /** The spool folder's parent: after every request it must hold the empty spool folder only. */
  readonly parent: string;
  readonly logs: string[];
  close(): Promise<void>;
}

/** A server on a free port with the CLI's pool (or `runner`), logging into `logs`. */
export async function start(options: Partial<ServiceOptions> = {}): Promise<Running> {
  const parent = await mkdtemp(join(tmpdir(), 'aigc-service-test-'));
  const pool = options.runner ? null : createPool(1, { onThisThread: false });
  const runner: JobRunner = options.runner ?? (pool as JobRunner);
  const logs: string[] = [];
  const app = await buildServer({
    ...options,
    runner,
    spoolParent: parent,
    logger: { level: 'info', stream: { write: (line: string) => logs.push(line) } },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    parent,
    logs,
    async close() {
      await app.close();
      await pool?.close();
    },
  };
}

/** Files left in the spool folder, after giving the response-end clean-up a moment. */
export async function leftInSpool(parent: string): Promise<string[]> {
  const [spool] = await readdir(parent);
  let left: string[] = [];
  for (let i = 0; i < 50; i++) {
    left = await readdir(join(parent, spool));
    if (left.length === 0) return left;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return left;
}

/** A response's JSON body, for reading fields in assertions. */
// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary fields of JSON bodies
export const json = async (response: Response): Promise<any> => response.json();

import { randomUUID } from 'node:crypto';
import { type FileHandle, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { extensionOf } from '@aigc-label/core';
import { defaultRegistry } from 'aigc-label';
import { ServiceError } from './errors.js';

/** Bodies up to this size stay in memory; larger ones are written to the private folder as they arrive. */
export const IN_MEMORY_LIMIT = 4 * 1024 * 1024;

/** One uploaded file: its bytes in memory, or a temporary file, and the name the client gave. */
export interface Upload {
  /** The client's name for the file (X-Filename, the URL's last segment, the multipart filename), or null. Never used as a path. */
  readonly name: string | null;
  /** An extension for the format sniffer when the bytes cannot decide: from the name, else from Content-Type. */
  readonly filename: string | undefined;
  readonly size: number;
  readonly bytes: Uint8Array | null;
  readonly path: string | null;
}

/**
 * The private folder (mode 0700, from mkdtemp) that holds uploads and outputs while their request
 * runs. Every path in it is a fresh random name: nothing a client sends becomes part of a path.
 */
export class Spool {
  private constructor(readonly folder: string) {}

  static async create(parent = tmpdir()): Promise<Spool> {
    return new Spool(await mkdtemp(join(parent, 'aigc-label-service-')));
  }

  /** A new path in the folder, with a known extension kept (formats are sniffed, the extension only breaks ties). */
  path(filename: string | undefined): string {
    const extension = filename ? safeExtension(filename) : '';
    return join(this.folder, `${randomUUID()}${extension}`);
  }

  async remove(): Promise<void> {
    await rm(this.folder, { recursive: true, force: true });
  }
}

/** `.jpg` for a name whose extension a format module knows; otherwise nothing. */
function safeExtension(filename: string): string {
  const extension = extensionOf(filename);
  return extension && /^[a-z0-9]{1,10}$/.test(extension) && defaultRegistry.byExtension(extension) ? `.${extension}` : '';
}

/** A sniffing hint from Content-Type: `x.jpg` for image/jpeg, when a format module lists that type. */
export function filenameForType(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (!type) return undefined;
  const handler = defaultRegistry.list().find((h) => h.mimeTypes.includes(type));
  return handler?.extensions[0] ? `upload.${handler.extensions[0]}` : undefined;
}

/**
 * The name a client gave, percent-decoded (X-Filename carries UTF-8 percent-encoded, as headers
 * are Latin-1), bounded in length. It is echoed in the report's `file` field, as the CLI echoes
 * the path it was given, and used only for its extension.
 */
export function clientName(raw: string | undefined): string | null {
  if (!raw) return null;
  let name = raw;
  try {
    name = decodeURIComponent(raw);
  } catch {
    // Not percent-encoded: taken as it is.
  }
  if (name.length > 1024) throw new ServiceError(400, 'BadRequest', 'the file name is longer than 1024 characters');
  return name;
}

export interface ReceiveOptions {
  readonly spool: Spool;
  readonly maxBytes: number;
  readonly name: string | null;
  readonly filename: string | undefined;
  /** Registers a path to delete when the request ends, however it ends. */
  readonly track: (path: string) => void;
}

/**
 * Reads a body: up to IN_MEMORY_LIMIT in memory, then into a temporary file written as the
 * bytes arrive (awaiting each write holds the socket back, so memory stays bounded). Stops with
 * 413 as soon as `maxBytes` is passed, without reading the rest.
 */
export async function receive(
  body: AsyncIterable<Uint8Array> & Partial<Pick<Readable, 'destroy'>>,
  options: ReceiveOptions,
): Promise<Upload> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let file: { path: string; handle: FileHandle } | null = null;
  try {
    for await (const chunk of body) {
      size += chunk.byteLength;
      if (size > options.maxBytes) throw tooLarge(options.maxBytes);
      if (file) {
        await file.handle.write(chunk);
        continue;
      }
      chunks.push(chunk);
      if (size > IN_MEMORY_LIMIT) {
        const path = options.spool.path(options.filename);
        options.track(path);
        file = { path, handle: await open(path, 'wx', 0o600) };
        for (const held of chunks.splice(0)) await file.handle.write(held);
      }
    }
  } finally {
    await file?.handle.close();
  }
  const base = { name: options.name, filename: options.filename, size };
  if (file) return { ...base, bytes: null, path: file.path };
  return { ...base, bytes: chunks.length === 1 ? chunks[0] : concat(chunks, size), path: null };
}

export const tooLarge = (maxBytes: number) =>
  new ServiceError(413, 'PayloadTooLarge', `the body is larger than this server's limit of ${maxBytes} bytes`);

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LimitExceededError, UsageError } from '@aigc-label/core';

export interface DownloadLimits {
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

/** A failure worth retrying: the network, a timeout, a server error or a 429. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
}

export interface Downloaded {
  readonly file: string;
  readonly dispose: () => Promise<void>;
}

const MAX_REDIRECTS = 5;

const checkScheme = (url: URL) => {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`only http and https URLs are fetched, not ${url.protocol}`);
};

/** Fetches, following up to five redirects, each of them to http(s) only. */
async function fetchFollowing(start: URL, signal: AbortSignal): Promise<Response> {
  let url = start;
  for (let hop = 0; ; hop++) {
    let response: Response;
    try {
      response = await fetch(url, { signal, redirect: 'manual' });
    } catch (error) {
      throw new TransientError(`${start}: download failed (${error instanceof Error ? error.message : String(error)})`);
    }
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || location === null) return response;
    await response.body?.cancel();
    if (hop === MAX_REDIRECTS) throw new UsageError(`${start}: more than ${MAX_REDIRECTS} redirects`);
    url = new URL(location, url);
    checkScheme(url);
  }
}

/**
 * Downloads an http(s) URL into a private temporary folder (mode 0700), within a byte limit and
 * a time limit. Only http and https: a URL job never reads `file://` or a local path.
 */
export async function download(url: string, limits: DownloadLimits): Promise<Downloaded> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new UsageError(`only http and https URLs are fetched, not ${parsed.protocol}`);
  const folder = await mkdtemp(join(tmpdir(), 'aigc-label-job-'));
  const dispose = () => rm(folder, { recursive: true, force: true });
  // The file keeps the URL's extension only (the format is sniffed from the bytes anyway).
  const extension = /^\.[A-Za-z0-9]{1,8}$/.test(extname(parsed.pathname)) ? extname(parsed.pathname) : '';
  const file = join(folder, `input${extension}`);
  try {
    const response = await fetchFollowing(parsed, AbortSignal.timeout(limits.timeoutMs));
    if (response.status === 429 || response.status >= 500) throw new TransientError(`${url}: the server answered ${response.status}`);
    if (!response.ok || !response.body) throw new UsageError(`${url}: the server answered ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > limits.maxBytes)
      throw new LimitExceededError(`${url}: ${declared} bytes is over the download limit of ${limits.maxBytes}`);
    let received = 0;
    const counted = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>).on(
      'data',
      (chunk: Uint8Array) => {
        received += chunk.length;
        if (received > limits.maxBytes)
          counted.destroy(new LimitExceededError(`${url}: over the download limit of ${limits.maxBytes} bytes`));
      },
    );
    try {
      await pipeline(counted, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    } catch (error) {
      if (error instanceof LimitExceededError) throw error;
      throw new TransientError(`${url}: download failed (${error instanceof Error ? error.message : String(error)})`);
    }
    return { file, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

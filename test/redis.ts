/**
 * A private redis-server for one test: a free port, its own folder, persistence on (an
 * append-only file, so a restart keeps the queue), stopped and removed afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

export class TestRedis {
  #process: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(dir: string): Promise<TestRedis> {
    const redis = new TestRedis(await freePort(), dir);
    await redis.#spawn();
    return redis;
  }

  async #spawn(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#process = child;
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${seen.slice(-500)}`)), 10_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (/Ready to accept connections/.test(seen)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}): ${seen.slice(-500)}`));
      });
    });
  }

  /** Stops Redis (SIGTERM: it flushes its append-only file) and starts it again on the same port and folder. */
  async restart(): Promise<void> {
    await this.stop();
    await this.#spawn();
  }

  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = null;
    if (!child || child.exitCode !== null) return;
    child.stdout?.removeAllListeners();
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

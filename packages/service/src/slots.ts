import { ServiceError } from './errors.js';

/**
 * Processing slots with a bounded queue: up to `active` requests run, up to `queue` wait, and
 * the next is refused at once with 429 rather than piling up memory and sockets.
 */
export class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly active: number,
    private readonly queue: number,
  ) {}

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once a slot is free; throws 429 when the queue is full. */
  async acquire(): Promise<() => void> {
    if (this.running >= this.active) {
      if (this.waiting.length >= this.queue)
        throw new ServiceError(429, 'TooManyRequests', 'the server is busy: every processing slot and queue place is taken', 1);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }
}

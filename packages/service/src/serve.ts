import type { FastifyInstance } from 'fastify';

export interface Listening {
  readonly app: FastifyInstance;
  readonly url: string;
}

/**
 * Listens, and shuts down gracefully on SIGTERM and SIGINT: new connections are refused, requests
 * in flight finish (up to `drainMs`), then `onClosed` runs (the pool, OCR workers) and the process
 * exits 0, or 1 if requests had to be cut off at the deadline.
 */
export async function listen(
  app: FastifyInstance,
  where: { readonly port: number; readonly host: string; readonly drainMs?: number; readonly onClosed?: () => Promise<void> },
): Promise<Listening> {
  const url = await app.listen({ port: where.port, host: where.host });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    const force = setTimeout(() => {
      app.log.warn('requests still in flight at the shutdown deadline: stopping anyway');
      process.exit(1);
    }, where.drainMs ?? 30_000);
    force.unref();
    void app
      .close()
      .then(() => where.onClosed?.())
      .then(() => {
        clearTimeout(force);
        process.exit(0);
      });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return { app, url };
}

import { createServer, type Server } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** A worker's Prometheus metrics: jobs by verb and outcome, durations, queue depth per state. */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly jobs = new Counter({
    name: 'aigc_label_jobs_total',
    help: 'Jobs this worker finished, by verb and outcome (ok, error: a bad file, retry: a transient failure, dead: attempts used up)',
    labelNames: ['verb', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'aigc_label_job_duration_seconds',
    help: 'Time from a job starting on this worker to its result',
    labelNames: ['verb'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor(queueCounts: () => Promise<Record<string, number>>) {
    new Gauge({
      name: 'aigc_label_queue_jobs',
      help: 'Jobs in the queue by state (read from Redis at each scrape)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        const counts = await queueCounts().catch(() => ({}));
        for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Serves GET /metrics on `port` (0: any free port); resolves with the port. */
  serve(port: number, host = '0.0.0.0'): Promise<{ server: Server; port: number }> {
    const server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url !== '/metrics') {
        response.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const address = server.address();
        resolve({ server, port: typeof address === 'object' && address ? address.port : port });
      });
    });
  }
}

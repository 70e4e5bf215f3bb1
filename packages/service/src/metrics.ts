import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The Prometheus metrics of one server: its own registry, so several servers in a process never collide. */
export function createMetrics(queueDepth: () => number, inFlight: () => number) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'aigc_label_' });
  const requests = new Counter({
    name: 'aigc_label_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'aigc_label_http_request_duration_seconds',
    help: 'Time from request to response, by route',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const outcomes = new Counter({
    name: 'aigc_label_outcomes_total',
    help: 'Measures Art. 6 outcomes of verify requests',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'aigc_label_errors_total',
    help: 'Refused or failed requests by error name',
    labelNames: ['name'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'aigc_label_queue_depth',
    help: 'Requests waiting for a processing slot',
    registers: [registry],
    collect() {
      this.set(queueDepth());
    },
  });
  new Gauge({
    name: 'aigc_label_in_flight',
    help: 'Requests holding a processing slot',
    registers: [registry],
    collect() {
      this.set(inFlight());
    },
  });
  return { registry, requests, latency, outcomes, errors };
}

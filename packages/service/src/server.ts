import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import { AigcLabelError, defaultRegistry, type ErrorReport, type LabelValue, type PropagateResult, type VerifyReport } from 'aigc-label';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { bearerCheck } from './auth.js';
import { errorBody, ServiceError, statusOf } from './errors.js';
import { meanings } from './meanings.js';
import { createMetrics } from './metrics.js';
import { uploadRoutesDocument } from './openapi.js';
import { pageFor } from './page.js';
import { type JobRunner, runVerb, type ServiceVerb, type VerbResult } from './run.js';
import { Slots } from './slots.js';
import { clientName, filenameForType, receive, Spool, tooLarge, type Upload } from './upload.js';

export interface ServiceOptions {
  /** Runs file jobs off the event loop (media decoding, bodies spooled to disk): the CLI's worker pool. */
  readonly runner: JobRunner;
  /** Largest body accepted, bytes (default 2 GiB). A larger Content-Length is refused before any byte is read. */
  readonly maxBodyBytes?: number | undefined;
  /** Time a body may take to arrive, ms (default 60 s): a slower upload gets 408. */
  readonly uploadTimeoutMs?: number | undefined;
  /** Time processing may take, ms (default 30 s; the facade's per-file budget): then 503 with Retry-After. */
  readonly processTimeoutMs?: number | undefined;
  /** Requests processed at once (default 16) and waiting beyond those (default 64); the next gets 429. */
  readonly concurrency?: number | undefined;
  readonly queue?: number | undefined;
  /** Bearer token for /v1/label and /v1/propagate; without one those routes do not exist. */
  readonly token?: string | null | undefined;
  /** Defaults for label (ContentProducer) and propagate (ContentPropagator) when the request names none. */
  readonly producer?: string | undefined;
  readonly platform?: string | undefined;
  /**
   * Signing for /v1/label (ReservedCode1) and /v1/propagate (ReservedCode2) and their operations
   * log (Measures Art. 9): paths on the server, never taken from a request; the key never leaves it.
   */
  readonly signing?: { readonly signKey?: string; readonly signKeyPassphrase?: string; readonly log?: string } | undefined;
  /** Trust-store files or folders for the signature verdicts of every report. */
  readonly trust?: readonly string[] | undefined;
  /**
   * A shared queue for asynchronous jobs (`serve --redis`: packages/queue's JobQueue): adds
   * POST /v1/jobs and GET /v1/jobs/:id. Jobs name files on the server's storage, so these routes,
   * like label and propagate, exist only with a token.
   */
  readonly jobs?: AsyncJobs | undefined;
  /** Folder in which the private spool folder is made (default the system temporary folder). */
  readonly spoolParent?: string | undefined;
  /** Fastify's logger option (pino); default JSON logs at info. */
  readonly logger?: FastifyServerOptions['logger'];
}

/** One asynchronous job: a file on storage the workers share (or an http(s) URL), and the verb's query options. */
export interface JobRequest {
  readonly verb: ServiceVerb;
  readonly input: string;
  readonly output?: string | undefined;
  readonly options?: Readonly<Record<string, unknown>> | undefined;
  readonly id?: string | undefined;
}

/** What the job routes need of a queue. */
export interface AsyncJobs {
  enqueue(items: readonly JobRequest[]): Promise<{ readonly ids: readonly string[]; readonly added: number }>;
  getJob(id: string): Promise<unknown>;
}

/** Jobs one POST /v1/jobs may add. */
const maximumJobsPerRequest = 10_000;

const GiB = 1024 * 1024 * 1024;

/** Query options of detect and verify, named as the CLI's flags. */
const searchQuery = {
  ocr: { type: 'boolean', description: 'read visible labels in images and video frames (slow); CLI --ocr' },
  audible: { type: 'boolean', default: true, description: 'look for audible labels in audio and video; CLI --no-rhythm is audible=false' },
  format: { type: 'string', description: 'read the body as this format id instead of sniffing it; CLI --format' },
} as const;
const declared = { type: 'boolean', description: 'the uploader declared the content AI-generated; CLI --declared' } as const;

const queries = {
  detect: { type: 'object', properties: searchQuery, additionalProperties: false },
  verify: { type: 'object', properties: { ...searchQuery, declared }, additionalProperties: false },
  label: {
    type: 'object',
    properties: {
      producer: { type: 'string', description: 'ContentProducer (default: the server --producer); CLI --producer' },
      produceId: { type: 'string', description: 'ProduceID (default: a fresh UUIDv7); CLI --produce-id' },
      label: { type: 'string', enum: ['1', '2', '3'], default: '1', description: 'Label value; CLI --label' },
      reservedCode1: { type: 'string', description: 'CLI --reserved-code1' },
      explicit: { type: 'boolean', default: true, description: 'add the explicit label; CLI --no-explicit is explicit=false' },
      wording: { type: 'string', description: 'explicit label wording; CLI --wording' },
      bilingual: { type: 'boolean', description: 'CLI --bilingual' },
      force: { type: 'boolean', description: "replace another producer's label; CLI --force" },
      iptc: { type: 'boolean', description: 'CLI --iptc' },
      format: searchQuery.format,
    },
    additionalProperties: false,
  },
  propagate: {
    type: 'object',
    properties: {
      ...searchQuery,
      declared,
      platform: { type: 'string', description: 'ContentPropagator (default: the server --platform); CLI --platform' },
      propagateId: { type: 'string', description: 'PropagateID (default: a fresh UUIDv7); CLI --propagate-id' },
      reservedCode2: { type: 'string', description: 'CLI --reserved-code2' },
      visiblePrompt: { type: 'boolean', description: 'CLI --visible-prompt' },
    },
    additionalProperties: false,
  },
} as const;

interface SearchQuery {
  readonly ocr?: boolean;
  readonly audible?: boolean;
  readonly format?: string;
  readonly declared?: boolean;
}
interface LabelQuery {
  readonly producer?: string;
  readonly produceId?: string;
  readonly label?: LabelValue;
  readonly reservedCode1?: string;
  readonly explicit?: boolean;
  readonly wording?: string;
  readonly bilingual?: boolean;
  readonly force?: boolean;
  readonly iptc?: boolean;
  readonly format?: string;
}
interface PropagateQuery extends SearchQuery {
  readonly platform?: string;
  readonly propagateId?: string;
  readonly reservedCode2?: string;
  readonly visiblePrompt?: boolean;
}

/**
 * The verification service: /v1/verify and /v1/detect for anyone, /v1/label and /v1/propagate
 * behind a bearer token, the page at /, health, readiness, metrics and the OpenAPI document.
 * Returns the Fastify instance (not listening yet), so more routes can be registered on it.
 */
export async function buildServer(options: ServiceOptions): Promise<FastifyInstance> {
  const maxBodyBytes = options.maxBodyBytes ?? 2 * GiB;
  const uploadTimeoutMs = options.uploadTimeoutMs ?? 60_000;
  const processTimeoutMs = options.processTimeoutMs ?? 30_000;
  const slots = new Slots(options.concurrency ?? 16, options.queue ?? 64);
  const spool = await Spool.create(options.spoolParent);
  const labelRoutes = Boolean(options.token);
  let closing = false;

  const app = Fastify({
    // Request lines name the method and path only: query values (ReservedCode1, wording) and
    // headers (the token, X-Filename) stay out of the logs.
    logger:
      options.logger === false
        ? false
        : {
            ...(typeof options.logger === 'object' ? options.logger : {}),
            serializers: {
              req: (request: FastifyRequest) => ({ method: request.method, path: request.url.split('?')[0], remoteAddress: request.ip }),
            },
          },
    // A backstop under our own upload and processing timers (which answer in JSON first).
    requestTimeout: uploadTimeoutMs + processTimeoutMs + 10_000,
    return503OnClosing: true,
    // An unknown or misspelt query option is refused (400), as the CLI refuses an unknown flag.
    ajv: { customOptions: { removeAdditional: false } },
  });
  const metrics = createMetrics(
    () => slots.queued + options.runner.queued,
    () => slots.inFlight,
  );

  // A client that asks before sending (Expect: 100-continue, as curl does for large bodies) is
  // told 413 before it sends a byte when the declared size is over the limit; otherwise it is
  // invited to send, as Node would do on its own.
  app.server.on('checkContinue', (request, response) => {
    if (Number(request.headers['content-length']) > maxBodyBytes) {
      metrics.requests.inc({ route: 'expect-100-continue', status: 413 });
      metrics.errors.inc({ name: 'PayloadTooLarge' });
      const body = errorBody(null, 'PayloadTooLarge', tooLarge(maxBodyBytes).message);
      response.writeHead(413, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        connection: 'close',
        'x-content-type-options': 'nosniff',
      });
      response.end(body);
      return;
    }
    response.writeContinue();
    app.server.emit('request', request, response);
  });
  // No answer is ever to be sniffed into something else (a report as HTML, a labeled file as script).
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    metrics.requests.inc({ route, status: reply.statusCode });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });
  app.addHook('onClose', async () => {
    closing = true;
    await spool.remove();
  });
  app.addHook('preClose', async () => {
    closing = true;
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'aigc-label verification service',
        version: '0.1.0',
        description: 'GB 45438-2025 labels: verify, detect, label, propagate',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  const page = pageFor({ labelRoutes, meanings: meanings() });
  app.get('/', { schema: { hide: true } }, (_request, reply) =>
    reply.header('content-security-policy', page.csp).type('text/html; charset=utf-8').send(page.html),
  );
  app.get('/healthz', { schema: { summary: 'the process is up' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { summary: 'the server takes requests (503 while shutting down)' } }, async (_request, reply) =>
    closing ? reply.code(503).send({ status: 'closing' }) : { status: 'ready' },
  );
  app.get('/metrics', { schema: { summary: 'Prometheus metrics' } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => uploadRoutesDocument(app.swagger()));

  const check = options.token ? bearerCheck(options.token) : null;
  /** Every refusal as an error report; a 5xx is logged (without the request's contents). */
  const onError = (
    error: Error & { statusCode?: number; code?: string; validation?: unknown },
    request: FastifyRequest,
    reply: FastifyReply,
  ) => {
    const refused = refusal(error);
    metrics.errors.inc({ name: refused.name });
    if (refused.status >= 500) request.log.error({ err: { name: error.name, message: error.message } }, 'request failed');
    sendError(reply, refused, null);
  };
  // On the routes that write or name server files themselves (not by URL prefix, which an encoded path could dodge).
  const requireToken = async (request: FastifyRequest, reply: FastifyReply) => {
    if (check?.(request.headers.authorization)) return;
    reply.header('www-authenticate', 'Bearer');
    throw new ServiceError(401, 'Unauthorized', 'this route needs the bearer token the server was started with');
  };
  await app.register(async (scope) => {
    // The body is the file, whatever its type (a JSON file is a file too): nothing here parses it
    // into memory; the handler streams it (raw) or walks its parts (multipart).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    await scope.register(multipart, { limits: { fileSize: maxBodyBytes, files: 1, fields: 0, parts: 4, headerPairs: 100 } });
    scope.setErrorHandler(onError);

    const route = (verb: ServiceVerb, summary: string) => {
      const handler = (request: FastifyRequest, reply: FastifyReply) => handle(verb, request, reply);
      const writes = verb === 'label' || verb === 'propagate';
      const schema = {
        summary,
        querystring: queries[verb],
        headers: {
          type: 'object',
          properties: {
            'x-filename': {
              type: 'string',
              description: 'the file name, percent-encoded UTF-8 (echoed in the report; never used as a path)',
            },
          },
        },
        ...(writes ? { security: [{ bearer: [] }] } : {}),
      };
      for (const url of [`/v1/${verb}`, `/v1/${verb}/:name`]) {
        scope.route({
          method: ['POST', 'PUT'],
          url,
          schema: url.endsWith(':name') ? { ...schema, hide: true } : schema,
          ...(writes ? { onRequest: requireToken } : {}),
          handler,
        });
      }
    };
    route('verify', 'decide what a platform must show for the uploaded file (Measures Art. 6); the CLI verify --json report');
    route('detect', 'read every label carrier and explicit label in the uploaded file; the CLI detect --json report');
    if (labelRoutes) {
      route('label', 'label the uploaded file: the labeled file as the body, the label report in X-Aigc-Report (base64url JSON)');
      route('propagate', "a platform's propagation step: the file as the body (204 when nothing was written), the result in X-Aigc-Report");
    }
  });

  const jobs = options.jobs;
  if (jobs && check) {
    await app.register(async (scope) => {
      scope.setErrorHandler(onError);
      const path = { type: 'string', maxLength: 4096 } as const;
      scope.post(
        '/v1/jobs',
        {
          onRequest: requireToken,
          bodyLimit: 4 * 1024 * 1024,
          schema: {
            summary: 'queue jobs for the workers (serve --redis): files on shared storage or http(s) URLs; 202 with the job ids',
            security: [{ bearer: [] }],
            body: {
              type: 'object',
              required: ['jobs'],
              additionalProperties: false,
              properties: {
                jobs: {
                  type: 'array',
                  minItems: 1,
                  maxItems: maximumJobsPerRequest,
                  items: {
                    type: 'object',
                    required: ['verb', 'input'],
                    additionalProperties: false,
                    properties: {
                      verb: { enum: ['verify', 'detect', 'label', 'propagate'] },
                      input: path,
                      output: path,
                      id: { type: 'string', maxLength: 128 },
                      options: { type: 'object', description: "the verb's query options (as for /v1/VERB)" },
                    },
                  },
                },
              },
            },
          },
        },
        async (request, reply) => {
          const body = request.body as { jobs: JobRequest[] };
          // A job's options are the verb's query options, turned into facade options as for an upload (the server's key and trust included).
          const items = body.jobs.map((job) => {
            const allowed = queries[job.verb].properties;
            const unknown = Object.keys(job.options ?? {}).find((key) => !(key in allowed));
            if (unknown !== undefined) throw new ServiceError(400, 'BadRequest', `unknown option "${unknown}" for a ${job.verb} job`);
            return { ...job, options: optionsFor(job.verb, job.options ?? {}) };
          });
          const outcome = await jobs.enqueue(items);
          return reply.code(202).send({ ids: outcome.ids, added: outcome.added });
        },
      );
      scope.get(
        '/v1/jobs/:id',
        {
          onRequest: requireToken,
          schema: {
            summary: "a job's state, and its result (the CLI --json report) once completed",
            security: [{ bearer: [] }],
            params: { type: 'object', properties: { id: { type: 'string', maxLength: 128 } } },
          },
        },
        async (request) => {
          const { id } = request.params as { id: string };
          const job = await jobs.getJob(id);
          if (!job) throw new ServiceError(404, 'NotFound', 'no job with this id');
          return job;
        },
      );
    });
  }

  async function handle(verb: ServiceVerb, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const declaredLength = Number(request.headers['content-length']);
    if (declaredLength > maxBodyBytes) throw tooLarge(maxBodyBytes);
    const release = await slots.acquire();
    const tracked: string[] = [];
    let work: Promise<unknown> = Promise.resolve();
    // Nothing uploaded outlives its request: once the response is sent or the client is gone,
    // and whatever was still reading or processing has settled, the spooled files are deleted.
    reply.raw.once('close', () => {
      void work
        .catch(() => undefined)
        .then(() => Promise.all(tracked.map((path) => rm(path, { force: true }))))
        .finally(release);
    });
    const track = (path: string) => {
      tracked.push(path);
    };
    const receiving = receiveUpload(request, track);
    work = receiving;
    const upload = await deadline(
      receiving,
      uploadTimeoutMs,
      () => new ServiceError(408, 'RequestTimeout', `the body did not arrive within ${uploadTimeoutMs / 1000} s`),
    );
    const processing = runVerb(verb, upload, optionsFor(verb, request.query), { runner: options.runner, spool, track });
    work = processing;
    const result = await deadline(
      processing,
      processTimeoutMs + 2_000,
      () => new ServiceError(503, 'ServiceUnavailable', `processing took longer than ${processTimeoutMs / 1000} s`, 5),
    );
    respond(verb, reply, result);
    // Returning the reply tells Fastify the answer is under way (a streamed file has not ended yet).
    return reply;
  }

  function receiveUpload(request: FastifyRequest, track: (path: string) => void): Promise<Upload> {
    const common = { spool, maxBytes: maxBodyBytes, track };
    if (!request.isMultipart()) {
      const params = request.params as { name?: string };
      const name = clientName((request.headers['x-filename'] as string | undefined) ?? params.name);
      const filename = name ?? filenameForType(request.headers['content-type']);
      return receive(request.raw, { ...common, name, filename });
    }
    return (async () => {
      const part = await request.file().catch((error: Error) => {
        throw malformed(error);
      });
      if (!part) throw new ServiceError(400, 'MalformedMultipart', 'the multipart body has no file part');
      const name = clientName(part.filename || undefined);
      const filename = name ?? filenameForType(part.mimetype);
      try {
        const upload = await receive(part.file, { ...common, name, filename });
        if (part.file.truncated) throw tooLarge(maxBodyBytes);
        return upload;
      } catch (error) {
        throw malformed(error);
      }
    })();
  }

  function optionsFor(verb: ServiceVerb, query: unknown) {
    const timeout = { timeoutMs: processTimeoutMs };
    const signing = options.signing ?? {};
    const trust = options.trust && options.trust.length > 0 ? { trust: [...options.trust] } : {};
    const search = (q: SearchQuery) => ({
      ocr: q.ocr === true,
      audible: q.audible !== false,
      ...(q.format ? { format: q.format } : {}),
      ...trust,
      ...timeout,
    });
    switch (verb) {
      case 'detect':
        return search(query as SearchQuery);
      case 'verify':
        return { declared: (query as SearchQuery).declared === true, ...search(query as SearchQuery) };
      case 'label': {
        const q = query as LabelQuery;
        const producer = q.producer ?? options.producer;
        if (!producer)
          throw new ServiceError(400, 'UsageError', 'a producer is required: ?producer=CODE, or start the server with --producer');
        return {
          producer,
          produceId: q.produceId,
          labelValue: q.label ?? '1',
          reservedCode1: q.reservedCode1,
          force: q.force === true,
          iptc: q.iptc === true,
          explicit: q.explicit !== false,
          ...(q.wording ? { visible: { text: q.wording }, text: { wording: q.wording } } : {}),
          ...(q.bilingual ? { visible: { ...(q.wording ? { text: q.wording } : {}), bilingual: true } } : {}),
          ...(q.format ? { format: q.format } : {}),
          ...signing,
          ...timeout,
        };
      }
      case 'propagate': {
        const q = query as PropagateQuery;
        const propagator = q.platform ?? options.platform;
        if (!propagator)
          throw new ServiceError(400, 'UsageError', 'a platform is required: ?platform=CODE, or start the server with --platform');
        return {
          propagator,
          propagateId: q.propagateId,
          reservedCode2: q.reservedCode2,
          declared: q.declared === true,
          visiblePrompt: q.visiblePrompt === true,
          ...signing,
          ...search(q),
        };
      }
    }
  }

  function respond(verb: ServiceVerb, reply: FastifyReply, result: VerbResult): void {
    if (!result.ok) {
      const { error, file } = result.report as ErrorReport;
      metrics.errors.inc({ name: error.name });
      sendError(reply, new ServiceError(statusOf(error.name), error.name, error.message), file, error.message);
      return;
    }
    const verified =
      verb === 'verify' ? (result.report as VerifyReport) : verb === 'propagate' ? (result.report as PropagateResult).verify : null;
    if (verified) metrics.outcomes.inc({ outcome: verified.outcome });
    if (verb === 'verify' || verb === 'detect') {
      // The CLI's --json output exactly: two-space indent and a final newline.
      reply.type('application/json; charset=utf-8').send(`${JSON.stringify(result.report, null, 2)}\n`);
      return;
    }
    // The report rides in a header: base64url of its compact JSON, so no byte of a label value can
    // break the header, and it stays small (clients bound headers: 16 KiB in Node's).
    reply.header('x-aigc-report', Buffer.from(JSON.stringify(result.report)).toString('base64url'));
    if (!result.output) {
      reply.code(204).send();
      return;
    }
    const format = 'verify' in result.report ? result.report.label?.format : 'format' in result.report ? result.report.format : undefined;
    const type = (format && defaultRegistry.get(format)?.mimeTypes[0]) || 'application/octet-stream';
    const { output } = result;
    reply
      .type(type)
      .send(
        output instanceof Uint8Array ? Buffer.from(output.buffer, output.byteOffset, output.byteLength) : createReadStream(output.path),
      );
  }

  return app;
}

/** What status and error name a thrown error becomes. */
function refusal(error: Error & { statusCode?: number; code?: string; validation?: unknown }): ServiceError {
  if (error instanceof ServiceError) return error;
  // A toolkit error outside a report (a job's options: a bad producer code, a missing file) is the client's.
  if (error instanceof AigcLabelError) return new ServiceError(400, error.name, error.message);
  if (error.validation) return new ServiceError(400, 'BadRequest', error.message);
  if (error.statusCode === 413) return new ServiceError(413, 'PayloadTooLarge', error.message);
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500)
    return new ServiceError(error.statusCode, 'BadRequest', error.message);
  return new ServiceError(500, 'InternalError', 'the server failed on this request (see its log)');
}

/** A multipart body busboy could not read is the client's fault (400); size and our own refusals keep theirs. */
function malformed(error: unknown): unknown {
  if (error instanceof ServiceError) return error;
  const e = error as { statusCode?: number; code?: string; message?: string };
  if (e.statusCode === 413 || e.code === 'FST_REQ_FILE_TOO_LARGE') return error;
  return new ServiceError(400, 'MalformedMultipart', `the multipart body could not be read: ${e.message ?? 'malformed'}`);
}

function sendError(reply: FastifyReply, error: ServiceError, file: string | null, message = error.message): void {
  if (error.retryAfter) reply.header('retry-after', String(error.retryAfter));
  // A refused body may still be arriving: close the connection after the answer rather than read it.
  if (error.status === 413 || error.status === 408 || error.status === 429) reply.header('connection', 'close');
  reply
    .code(error.status)
    .type('application/json; charset=utf-8')
    .send(errorBody(file, error.name, message));
}

/** `work`, or the error `onTimeout` makes if it has not settled within `ms`. */
async function deadline<T>(work: Promise<T>, ms: number, onTimeout: () => ServiceError): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

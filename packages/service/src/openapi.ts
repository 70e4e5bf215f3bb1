/** The upload routes' request body, which no route schema states (a schema would make Fastify parse the file). */
const uploadBody = {
  required: true,
  description: 'the file: raw bytes (Content-Type and an optional X-Filename), or multipart/form-data with one file part',
  content: {
    'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
    'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] } },
  },
};

const reportResponses = (verb: string) => ({
  '200': {
    description:
      verb === 'verify' || verb === 'detect'
        ? `the CLI's \`${verb} --json\` report (schema/reports.schema.json)`
        : 'the labeled file; the report in X-Aigc-Report as base64url JSON (204: nothing written)',
  },
  '400': { description: 'bad options or malformed multipart (an ErrorReport)' },
  '401': { description: 'no or wrong bearer token' },
  '408': { description: 'the body arrived too slowly' },
  '413': { description: "the body is over the server's limit" },
  '415': { description: 'unknown or unsupported format' },
  '422': { description: 'damaged file, or over a bound read from it' },
  '429': { description: 'every processing slot and queue place is taken (Retry-After)' },
  '503': { description: 'processing took too long, or the server is shutting down (Retry-After)' },
});

/** The document @fastify/swagger made from the route schemas, with the upload bodies and responses filled in. */
export function uploadRoutesDocument(document: { readonly paths?: object | undefined }): object {
  const paths: Record<string, object> = {};
  for (const [path, methods] of Object.entries((document.paths ?? {}) as Record<string, Record<string, object>>)) {
    const verb = /^\/v1\/(\w+)$/.exec(path)?.[1];
    paths[path] = verb
      ? Object.fromEntries(
          Object.entries(methods).map(([method, operation]) => [
            method,
            { ...operation, requestBody: uploadBody, responses: reportResponses(verb) },
          ]),
        )
      : methods;
  }
  return { ...document, paths };
}

// What every r1-reward HTTP server does the same way (the reward server and the chat server):
// JSON bodies that must be UTF-8, strict schema errors as 400 naming the field, a body size limit
// with a message saying how to raise it, optional bearer auth compared in constant time, request
// metrics, and a graceful close that drains in-flight requests.
import { isUtf8 } from 'node:buffer';
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface GuardOptions {
  /** When set, every route except `openPaths` needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string | undefined;
  /** Routes that never need the key (default: /health). */
  openPaths?: readonly string[];
  bodyLimitBytes: number;
  /** What a client does about a too-large body (e.g. "send smaller batches or raise --body-limit-mb"). */
  bodyLimitHint: string;
  logger?: boolean;
  /** Counted per request: route and status, and the time to answer. */
  metrics?: { requests: Counter<'route' | 'status'>; requestSeconds: Histogram<'route'> };
  /** Errors of the app's own kind (bad input found after the schema) → status, message, field. */
  mapError?: (error: Error) => { status: number; message: string; field?: string } | undefined;
  /** The JSON shape of an error response (default `{ error, field? }`). */
  errorBody?: (message: string, status: number, field?: string) => unknown;
}

export interface HttpMetrics {
  registry: Registry;
  requests: Counter<'route' | 'status'>;
  requestSeconds: Histogram<'route'>;
}

/**
 * A registry of its own (so several servers in one process never share counters) with the process
 * metrics and the request counter and latency histogram, named `<prefix>requests_total` and
 * `<prefix>request_seconds`.
 */
export function createHttpMetrics(prefix: string, buckets: number[]): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });
  const requests = new Counter({
    name: `${prefix}requests_total`,
    help: 'HTTP requests by route and status code',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: `${prefix}request_seconds`,
    help: 'Time to answer a request',
    labelNames: ['route'] as const,
    buckets,
    registers: [registry],
  });
  return { registry, requests, requestSeconds };
}

/** Compares secrets in time independent of where they differ (hashing first equalises lengths). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function plainErrorBody(message: string, _status: number, field?: string) {
  return field ? { error: message, field } : { error: message };
}

/** An error fastify answers with this status and message. */
export function httpError(status: number, message: string): FastifyError {
  const error = new Error(message) as FastifyError;
  error.statusCode = status;
  return error;
}

/** A fastify app with the shared guards installed; routes are added by the caller. */
export function guardedFastify(options: GuardOptions): FastifyInstance {
  const { apiKey, bodyLimitBytes, metrics } = options;
  const openPaths = new Set(options.openPaths ?? ['/health']);
  const errorBody = options.errorBody ?? plainErrorBody;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: bodyLimitBytes,
    // Validation is strict: no type coercion ("3" is not 3, a string is not a one-item list).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });

  // While closing, answers to in-flight requests also close their keep-alive connection, so that
  // close() finishes as soon as they are sent instead of waiting for the keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  // Only JSON is accepted (a text/plain body is a 415, not a string to validate).
  app.removeContentTypeParser('text/plain');
  // JSON bodies must be UTF-8: a non-UTF-8 body is refused instead of silently decoded with U+FFFD.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(httpError(400, 'request body is not valid UTF-8; send JSON encoded as UTF-8'), undefined);
      return;
    }
    const text = bytes.toString('utf8');
    parseJson(request, text, (error, parsed) => {
      if ((error as FastifyError | null)?.code !== 'FST_ERR_CTP_INVALID_JSON_BODY') {
        done(error, parsed);
        return;
      }
      // The parser refuses "__proto__" and constructor.prototype keys (prototype pollution) with
      // the same error as bad syntax: tell the two apart, since only one of them is not JSON.
      try {
        JSON.parse(text);
      } catch (syntax) {
        done(httpError(400, `malformed JSON body: ${(syntax as Error).message}`), undefined);
        return;
      }
      done(
        httpError(
          400,
          'the JSON body holds a "__proto__" or "constructor": {"prototype": …} key, which this server refuses; remove that key',
        ),
        undefined,
      );
    });
  });

  app.addHook('onRequest', async (request, reply: FastifyReply) => {
    if (!apiKey || openPaths.has(request.url)) return;
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!token || !sameSecret(token, apiKey)) {
      reply.header('www-authenticate', 'Bearer');
      return reply
        .code(401)
        .send(
          errorBody(
            'missing or wrong bearer token: send "Authorization: Bearer <key>"',
            401,
            'headers/authorization',
          ),
        );
    }
  });

  if (metrics)
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.requests.inc({ route, status: String(reply.statusCode) });
      metrics.requestSeconds.observe({ route }, reply.elapsedTime / 1000);
    });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const first = error.validation[0];
      const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
      const field = `${error.validationContext ?? 'body'}${first?.instancePath ?? ''}${missing ? `/${missing}` : ''}`;
      return reply.code(400).send(errorBody(error.message, 400, field));
    }
    const mapped = options.mapError?.(error);
    if (mapped) return reply.code(mapped.status).send(errorBody(mapped.message, mapped.status, mapped.field));
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error(error);
      // The message may name the server's files: it stays in the log.
      return reply
        .code(status)
        .send(errorBody(`internal error (${error.name}); the server's log has the details`, status));
    }
    let message = error.message;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      message = `request body is larger than ${bodyLimitBytes} bytes; ${options.bodyLimitHint}`;
    else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      message = `${error.message}; send the body as JSON with "Content-Type: application/json"`;
    return reply.code(status).send(errorBody(message, status));
  });
  return app;
}

/** Stops on SIGINT/SIGTERM: no new connections, in-flight requests finish, then the process exits. */
export function closeOnSignals(app: FastifyInstance, onClosed?: () => Promise<void> | void): void {
  const stop = (signal: string) => {
    console.log(`${signal}: draining in-flight requests…`);
    app
      .close()
      .then(() => onClosed?.())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenLoopback } from '../process.js';
import { injectedFailure } from './faults.js';
import { graphql, handlers, type Answer } from './handlers/index.js';
import { str } from './handlers/context.js';
import { errorBody, HttpError } from './http-error.js';
import type { JsonObject, JsonValue } from './model.js';
import type { OpenApiValidator, Operation } from './openapi.js';
import type { EmulatorState } from './state.js';
import type { RecordedRequest } from './types.js';

/**
 * The emulator's HTTP side: every request is recorded, authenticated (token or Bearer), routed by GitHub's OpenAPI
 * description, checked against it, answered by a handler (or an injected failure), and the answer is checked too;
 * in strict mode a violation in either direction becomes a 500 so the test that caused it fails.
 */

const WRITES = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export interface RequestHandlerOptions {
  /** Fail any request or response that violates the OpenAPI description with a 500. */
  strict: boolean;
  /** Seconds in retry-after for injected secondary rate limits. */
  retryAfterSeconds: number;
}

/** The whole request body as UTF-8. */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Writes an answer with the headers GitHub sends on every response (media type, API version, rate limit). */
function send(res: ServerResponse, status: number, body: JsonValue | undefined, headers: Record<string, string>): void {
  const base: Record<string, string> = {
    'x-github-media-type': 'github.v3; format=json',
    'x-github-api-version-selected': '2022-11-28',
    'x-github-request-id': `${randomBytes(4).toString('hex').toUpperCase()}:${randomBytes(4).toString('hex').toUpperCase()}`,
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
    'x-ratelimit-used': '1',
    'x-ratelimit-resource': 'core',
  };
  if (body === undefined) {
    res.writeHead(status, { ...base, ...headers });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...base, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** The request pipeline over `state`, routed and validated with `validator`. */
export function requestHandler(state: EmulatorState, validator: OpenApiValidator, o: RequestHandlerOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { strict, retryAfterSeconds } = o;

  function operationDocUrl(op: Operation): string {
    return validator.docUrl(op) ?? 'https://docs.github.com/rest';
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    let body: JsonObject | JsonValue[] | undefined;
    const record: RecordedRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), body: undefined, status: 0 };
    state.requests.push(record);
    const reply = (status: number, payload: JsonValue | undefined, headers: Record<string, string> = {}): void => {
      record.status = status;
      if (status >= 400 && payload && typeof payload === 'object' && !Array.isArray(payload) && typeof payload.message === 'string') record.message = payload.message;
      send(res, status, payload, headers);
    };
    if (raw !== '') {
      try {
        body = JSON.parse(raw) as JsonObject;
      } catch {
        reply(400, errorBody(400, 'Problems parsing JSON', 'https://docs.github.com/rest'));
        return;
      }
    }
    record.body = body;

    // Authentication: Authorization: token <t> | Bearer <t>.
    const auth = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const tok = auth ? state.tokens.get(auth[1]) : undefined;
    if (!auth) {
      reply(401, errorBody(401, 'Requires authentication', 'https://docs.github.com/rest'));
      return;
    }
    if (!tok) {
      reply(401, errorBody(401, 'Bad credentials', 'https://docs.github.com/rest'));
      return;
    }
    const login = tok.login ?? 'github-actions[bot]';
    record.login = login;

    if (method === 'POST' && url.pathname === '/graphql') {
      record.operationId = 'graphql';
      const failure = state.failures.find((f) => f.route === 'graphql');
      if (failure && !['auto-merge-not-allowed', 'clean-status'].includes(failure.kind)) {
        state.takeFailure('graphql');
        const err = injectedFailure(failure.kind, 'https://docs.github.com/graphql', retryAfterSeconds);
        if (err) return reply(err.status, err.body, err.headers);
      }
      const answer = await graphql(state, { body: body && !Array.isArray(body) ? body : {}, login, readOnly: tok.readOnly === true });
      reply(answer.status, answer.body, answer.headers);
      return;
    }

    const op = validator.match(method, url.pathname);
    if (!op) {
      reply(404, errorBody(404, 'Not Found', 'https://docs.github.com/rest'));
      return;
    }
    record.operationId = op.operationId;
    const docUrl = operationDocUrl(op);

    const requestErrors = validator.validateRequest(op, body, url.searchParams);
    if (requestErrors.length > 0) {
      state.violations.push({ where: 'request', operationId: op.operationId, method, path: url.pathname, errors: requestErrors });
      if (strict) {
        reply(500, { message: `OpenAPI violation in the request to ${op.operationId} (emulator strict mode): ${requestErrors.join('; ')}` });
        return;
      }
    }

    const handler = handlers[op.operationId];
    const failure = state.takeFailure(op.operationId);
    let answer: Answer;
    try {
      if (failure && failure !== 'invalid-response') {
        const b = body && !Array.isArray(body) ? body : {};
        const err = injectedFailure(failure, docUrl, retryAfterSeconds, { owner: op.params.owner, head: str(b.head)?.replace(/^[^:]*:/, ''), base: str(b.base) });
        if (err) throw err;
      }
      if (!handler) throw new HttpError(404, errorBody(404, `Not Found (the emulator does not implement ${op.operationId})`, docUrl));
      if (tok.readOnly && WRITES.has(method)) {
        throw new HttpError(403, errorBody(403, 'Resource not accessible by integration', docUrl), { 'x-accepted-github-permissions': 'pull_requests=write' });
      }
      answer = await handler({ state, op, body, query: url.searchParams, login, readOnly: tok.readOnly === true, docUrl });
      if (failure === 'invalid-response' && answer.body && typeof answer.body === 'object' && !Array.isArray(answer.body)) {
        // Drop a required field and break a type: the response validation must notice.
        const broken: JsonObject = { ...answer.body };
        delete broken.url;
        broken.id = 'not-a-number';
        answer = { ...answer, body: broken };
      }
    } catch (err) {
      if (!(err instanceof HttpError)) {
        answer = { status: 500, body: { message: `emulator error: ${err instanceof Error ? err.message : String(err)}` } };
        reply(answer.status, answer.body);
        return;
      }
      answer = { status: err.status, body: err.body, headers: err.headers };
      // Injected errors are sent whatever the description documents (GitHub sends rate limits anywhere);
      // their bodies are still checked against basic-error / validation-error in the description.
    }

    const responseErrors = answer.status >= 400 ? validator.validateError(answer.status, answer.body) : validator.validateResponse(op, answer.status, answer.body);
    if (responseErrors.length > 0) {
      state.violations.push({ where: 'response', operationId: op.operationId, method, path: url.pathname, status: answer.status, errors: responseErrors });
      if (strict) {
        reply(500, { message: `OpenAPI violation in the emulator's ${answer.status} response to ${op.operationId} (strict mode): ${responseErrors.join('; ')}` });
        return;
      }
    }
    reply(answer.status, answer.body, answer.headers);
  };
}

/** Serves `handle` on 127.0.0.1 (a free port); an unexpected error becomes a 500 with the emulator's message. */
export async function serveLoopback(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{ server: Server; port: number }> {
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `emulator error: ${err instanceof Error ? err.message : String(err)}` }));
    });
  });
  const port = await listenLoopback(server);
  return { server, port };
}

import { errorBody, HttpError } from '../http-error.js';
import type { JsonObject, JsonValue } from '../model.js';
import type { Operation } from '../openapi.js';
import type { EmulatorState, RepoState } from '../state.js';

/** What a REST handler gets: the state, the matched operation, the parsed body and query, and the caller. */
export interface HandlerContext {
  state: EmulatorState;
  op: Operation;
  body: JsonObject | JsonValue[] | undefined;
  query: URLSearchParams;
  login: string;
  readOnly: boolean;
  /** documentation_url for error bodies (the operation's docs). */
  docUrl: string;
}

/** A handler's answer; errors are thrown as HttpError. */
export type Answer = { status: number; body?: JsonValue; headers?: Record<string, string> };

/** One REST operation (keyed by its OpenAPI operationId in the handler table). */
export type Handler = (ctx: HandlerContext) => Promise<Answer>;

export function str(v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function bodyObj(ctx: HandlerContext): JsonObject {
  return ctx.body && !Array.isArray(ctx.body) ? ctx.body : {};
}

export async function resolveRefOrSha(r: RepoState, spec: string, docUrl: string): Promise<string> {
  // GitHub accepts branch, tag, SHA or owner:branch in compare; only same-repository refs here.
  const ref = spec.includes(':') ? spec.slice(spec.indexOf(':') + 1) : spec;
  const sha = (await r.git.resolve(`refs/heads/${ref}`)) ?? (await r.git.resolve(`refs/tags/${ref}`)) ?? (/^[0-9a-f]{4,40}$/.test(ref) ? await r.git.resolve(ref) : undefined);
  if (!sha) throw new HttpError(404, errorBody(404, 'Not Found', docUrl));
  return sha;
}

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Validates requests and responses against GitHub's own OpenAPI description (`@octokit/openapi`, the
 * api.github.com document, OpenAPI 3.0.3), so that the emulator cannot drift from the real API.
 *
 * The document (13 MB) is parsed once per process; validators are compiled lazily per operation and status and
 * cached. The whole document is registered with Ajv under the id `gh`, and each schema is compiled as a
 * `$ref` into it (`gh#/paths/...`), so `#/components/schemas/...` references resolve inside the real document.
 */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

export interface Violation {
  /** `request` (body or query) or `response` (body for a status). */
  where: 'request' | 'response';
  operationId: string;
  method: string;
  path: string;
  status?: number;
  errors: string[];
}

export interface Operation {
  operationId: string;
  method: string;
  /** The template, e.g. /repos/{owner}/{repo}/pulls/{pull_number} */
  template: string;
  params: Record<string, string>;
}

interface Route {
  method: string;
  template: string;
  regex: RegExp;
  names: string[];
  literal: number;
  operationId: string;
}

// Path parameters that may contain '/' on GitHub besides those marked x-multi-segment (refs, branch names).
const SLASHY = new Set(['ref', 'branch']);

let loaded: { doc: JsonObject; ajv: Ajv; routes: Route[] } | undefined;

/** Rewrites OpenAPI 3.0 `nullable` into what Ajv understands: `anyOf [..., null]` when there is no `type`, null in enums. */
function fixNullable(node: Json): void {
  if (Array.isArray(node)) {
    for (const n of node) fixNullable(n);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const v of Object.values(node)) fixNullable(v);
  // OAS 3.0.3: nullable: true admits null even when an enum is given; JSON Schema needs null in the enum.
  if (node.nullable === true && Array.isArray(node.enum) && !node.enum.includes(null)) node.enum.push(null);
  if (node.nullable === true && node.type === undefined) {
    const rest: JsonObject = {};
    for (const [k, v] of Object.entries(node)) {
      if (k !== 'nullable') rest[k] = v;
      delete node[k];
    }
    node.anyOf = [rest, { type: 'null' }];
  }
}

function load(): { doc: JsonObject; ajv: Ajv; routes: Route[] } {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
  fixNullable(doc.components as Json);
  fixNullable(doc.paths as Json);
  // strict: false because the document carries OpenAPI keywords (example, x-github, discriminator ...).
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, addUsedSchema: false, logger: false });
  addFormats(ajv);
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('repo.nwo', /^[^/]+\/[^/]+$/);
  ajv.addFormat('binary', true);
  ajv.addSchema(doc as object, 'gh');

  const routes: Route[] = [];
  for (const [template, item] of Object.entries(doc.paths as Record<string, JsonObject>)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete', 'head']) {
      const op = item[method] as JsonObject | undefined;
      if (!op) continue;
      const names: string[] = [];
      const multi = new Set<string>();
      for (const p of [...((item.parameters as JsonObject[] | undefined) ?? []), ...((op.parameters as JsonObject[] | undefined) ?? [])]) {
        const param = (typeof p.$ref === 'string' ? resolveRef(doc, p.$ref) : p) as JsonObject | null;
        if (param?.['x-multi-segment'] === true) multi.add(String(param.name));
      }
      const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => {
        names.push(name);
        return multi.has(name) || SLASHY.has(name) ? '(.+)' : '([^/]+)';
      });
      routes.push({
        method: method.toUpperCase(),
        template,
        regex: new RegExp(`^${pattern}$`),
        names,
        literal: template.replace(/\{[^}]+\}/g, '').length,
        operationId: String(op.operationId),
      });
    }
  }
  // Most literal first: /git/ref/{ref} before anything with more parameters.
  routes.sort((a, b) => b.literal - a.literal);
  loaded = { doc, ajv, routes };
  return loaded;
}

function pointer(...parts: string[]): string {
  return parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

function formatErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).slice(0, 20).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}

export class OpenApiValidator {
  private readonly cache = new Map<string, ValidateFunction | null>();

  /** Finds the operation for a method and a path (no query string). */
  match(method: string, path: string): Operation | undefined {
    const { routes } = load();
    const m = method.toUpperCase();
    for (const r of routes) {
      if (r.method !== m) continue;
      const hit = r.regex.exec(path);
      if (!hit) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => (params[n] = decodeURIComponent(hit[i + 1])));
      return { operationId: r.operationId, method: m, template: r.template, params };
    }
    return undefined;
  }

  private operation(op: Operation): JsonObject {
    const { doc } = load();
    return ((doc.paths as Record<string, JsonObject>)[op.template][op.method.toLowerCase()] as JsonObject) ?? {};
  }

  private compiled(key: string, ref: string): ValidateFunction | null {
    if (!this.cache.has(key)) {
      const { ajv } = load();
      this.cache.set(key, ajv.compile({ $ref: `gh#${ref}` }));
    }
    return this.cache.get(key) ?? null;
  }

  /** Schema errors of a request: JSON body against requestBody, query values against parameter enums/types. */
  validateRequest(op: Operation, body: unknown, query: URLSearchParams): string[] {
    const errors: string[] = [];
    const spec = this.operation(op);
    const { doc } = load();
    for (const p of (spec.parameters as JsonObject[] | undefined) ?? []) {
      const param = (typeof p.$ref === 'string' ? resolveRef(doc, p.$ref) : p) as JsonObject;
      if (param.in !== 'query') continue;
      const value = query.get(String(param.name));
      if (value === null) continue;
      const schema = (param.schema ?? {}) as JsonObject;
      if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
        errors.push(`query ${String(param.name)}=${value} must be one of ${schema.enum.join(', ')}`);
      }
      if (schema.type === 'integer' && !/^-?\d+$/.test(value)) errors.push(`query ${String(param.name)}=${value} must be an integer`);
    }
    const rb = spec.requestBody as JsonObject | undefined;
    const content = rb?.content as Record<string, JsonObject> | undefined;
    if (content?.['application/json']?.schema) {
      if (body === undefined) {
        if (rb?.required === true) errors.push('request body is required');
      } else {
        const ref = pointer('', 'paths', op.template, op.method.toLowerCase(), 'requestBody', 'content', 'application/json', 'schema');
        const v = this.compiled(`req ${op.operationId}`, ref);
        if (v && !v(body)) errors.push(...formatErrors(v.errors));
      }
    }
    return errors;
  }

  /** Schema errors of a JSON response body for a status (falls back to the `default` response). */
  validateResponse(op: Operation, status: number, body: unknown): string[] {
    const spec = this.operation(op);
    const responses = (spec.responses ?? {}) as Record<string, JsonObject>;
    const code = responses[String(status)] ? String(status) : responses.default ? 'default' : undefined;
    if (!code) return [`status ${status} is not documented for ${op.operationId} (documented: ${Object.keys(responses).join(', ')})`];
    const { doc } = load();
    let response = responses[code];
    let ref = pointer('', 'paths', op.template, op.method.toLowerCase(), 'responses', code);
    if (typeof response.$ref === 'string') {
      ref = response.$ref.slice(1);
      response = resolveRef(doc, response.$ref) as JsonObject;
    }
    const content = response.content as Record<string, JsonObject> | undefined;
    const json = content?.['application/json'] ?? content?.['application/scim+json'];
    if (!json?.schema) {
      return body === undefined || body === '' ? [] : [`status ${status} of ${op.operationId} has no body in the description`];
    }
    const v = this.compiled(`res ${op.operationId} ${code}`, `${ref}/content/${pointer('application/json')}/schema`);
    return v && !v(body) ? formatErrors(v.errors) : [];
  }

  /** Schema errors of an error body against the description's `validation-error` (422) or `basic-error`. */
  validateError(status: number, body: unknown): string[] {
    if (status >= 500 && body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') return [];
    const name = status === 422 ? 'validation-error' : 'basic-error';
    const v = this.compiled(`schema ${name}`, pointer('', 'components', 'schemas', name));
    return v && !v(body) ? formatErrors(v.errors) : [];
  }

  /** The operation's documentation URL (GitHub puts it in error bodies' documentation_url). */
  docUrl(op: Operation): string | undefined {
    const docs = this.operation(op).externalDocs as JsonObject | undefined;
    return typeof docs?.url === 'string' ? docs.url : undefined;
  }

  /** Parses and compiles nothing until first use; call to pay the load cost up front (e.g. in beforeAll). */
  static warmUp(): void {
    load();
  }
}

function resolveRef(doc: JsonObject, ref: string): Json {
  let node: Json = doc;
  for (const part of ref.replace(/^#\//, '').split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    node = node && typeof node === 'object' && !Array.isArray(node) ? (node[key] ?? null) : null;
  }
  return node;
}

/**
 * Registry errors: every failure carries the registry, repository, operation, HTTP status and the registry's own error
 * code/message, and known failures (GHCR permissions above all, docs/security.md, "Identities and permissions") come
 * with the fix the user needs as `hint`.
 */
import { D2Error, type ErrorCode } from '../errors.js';
import { redactUrls } from '../util/index.js';

export interface RegistryErrorDetail {
  /** Registry error code, e.g. MANIFEST_UNKNOWN, DENIED, UNAUTHORIZED. */
  code: string;
  message: string;
  /** `detail` rendered as text (distribution sends a string, object or array). */
  detail?: string;
}

export interface RegistryErrorInit {
  registry: string;
  repository?: string;
  operation: string;
  status?: number;
  errors?: RegistryErrorDetail[];
  /** First part of a non-JSON body (e.g. `404 page not found`). */
  body?: string;
  /** D2Error code; derived from the status when absent. */
  code?: ErrorCode;
  hint?: string;
  cause?: unknown;
  /** Replaces the generated message. */
  message?: string;
  /** The registry's Retry-After, in ms (429/503). */
  retryAfterMs?: number;
}

/** D2Error codes used by the registry client. */
export const RegistryErrorCode = {
  NotFound: 'REGISTRY_NOT_FOUND',
  Unauthorized: 'REGISTRY_UNAUTHORIZED',
  Denied: 'REGISTRY_DENIED',
  TooManyRequests: 'REGISTRY_TOO_MANY_REQUESTS',
  Invalid: 'REGISTRY_INVALID',
  DigestMismatch: 'REGISTRY_DIGEST_MISMATCH',
  TooLarge: 'REGISTRY_TOO_LARGE',
  Server: 'REGISTRY_SERVER_ERROR',
  Network: 'REGISTRY_NETWORK',
  /** A request ran past its deadline or the operation's time limit. */
  Timeout: 'REGISTRY_TIMEOUT',
  Protocol: 'REGISTRY_PROTOCOL',
} as const;

export class RegistryError extends D2Error {
  readonly registry: string;
  readonly repository?: string;
  readonly operation: string;
  readonly status?: number;
  readonly errors: RegistryErrorDetail[];
  readonly retryAfterMs?: number;

  constructor(init: RegistryErrorInit) {
    const code = init.code ?? codeForStatus(init.status, init.errors);
    const hint = init.hint ?? hintFor(init);
    // Registry messages may quote URLs (realms, redirects, upload locations): never with their credentials.
    super(redactUrls(init.message ?? formatMessage(init)), { code, hint, cause: init.cause });
    this.name = 'RegistryError';
    this.registry = init.registry;
    this.repository = init.repository;
    this.operation = init.operation;
    this.status = init.status;
    this.errors = init.errors ?? [];
    this.retryAfterMs = init.retryAfterMs;
  }

  /** The registry's first error code (e.g. MANIFEST_UNKNOWN), if it sent one. */
  get registryCode(): string | undefined {
    return this.errors[0]?.code;
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof D2Error && err.code === RegistryErrorCode.NotFound;
}

function codeForStatus(status: number | undefined, errors: RegistryErrorDetail[] | undefined): ErrorCode {
  const first = errors?.[0]?.code?.toUpperCase();
  if (status === 404) return RegistryErrorCode.NotFound;
  if (status === 401) return first === 'DENIED' ? RegistryErrorCode.Denied : RegistryErrorCode.Unauthorized;
  if (status === 403) return RegistryErrorCode.Denied;
  if (status === 429) return RegistryErrorCode.TooManyRequests;
  if (status === 413) return RegistryErrorCode.TooLarge;
  if (status !== undefined && status >= 500) return RegistryErrorCode.Server;
  if (status !== undefined && status >= 400) return RegistryErrorCode.Invalid;
  return status === undefined ? RegistryErrorCode.Network : RegistryErrorCode.Protocol;
}

function formatMessage(init: RegistryErrorInit): string {
  const where = init.repository ? `${init.registry}/${init.repository}` : init.registry;
  const status = init.status !== undefined ? ` (HTTP ${init.status})` : '';
  const reasons = (init.errors ?? []).map((e) => `${e.code}: ${e.message}${e.detail ? ` (${e.detail})` : ''}`);
  if (reasons.length === 0 && init.body) reasons.push(init.body.trim().slice(0, 200));
  return `${init.operation} on ${where} failed${status}${reasons.length ? `: ${reasons.join('; ')}` : ''}`;
}

/** Known failures and their fixes: GHCR package permissions, registries' own error codes, and the statuses above. */
function hintFor(init: RegistryErrorInit): string | undefined {
  const text = [...(init.errors ?? []).map((e) => `${e.code} ${e.message} ${e.detail ?? ''}`), init.body ?? ''].join(' ');
  const ghcr = init.registry === 'ghcr.io' || init.registry.endsWith('.ghcr.io');
  if (/write_package|permission_denied/i.test(text) && ghcr) {
    return "the package exists but this workflow's repository has no write access to it: open the package settings on GitHub → \"Manage Actions access\" → add this repository with the Write role (a package first pushed by hand or with a PAT is not linked); also make sure the job has `permissions: packages: write`";
  }
  if (/create organization package/i.test(text)) {
    return 'GitHub App installation tokens cannot create organization packages: push with the workflow GITHUB_TOKEN (permissions: packages: write), or create the package once by hand and grant the repository access under "Manage Actions access"';
  }
  if (/cannot be overwritten because the (?:tag|repository) is immutable/i.test(text)) {
    return 'the ECR repository has immutable tags (imageTagMutability IMMUTABLE), so an existing tag such as latest cannot be moved: set the repository to MUTABLE (or IMMUTABLE_WITH_EXCLUSION for that tag), or move only new tags';
  }
  const status = init.status;
  // Cloud registries reached with workload identity (docs/cloud-registries.md): the role the identity lacks.
  const host = init.registry.toLowerCase().replace(/:\d+$/, '');
  if ((status === 401 || status === 403) && /\.azurecr\.(io|cn|de|us)$/.test(host)) {
    return `ACR refused the credentials: assign the AcrPush role on the registry to the identity (azure-client-id): az role assignment create --assignee <client-id> --role AcrPush --scope $(az acr show --name ${host.split('.')[0]} --query id --output tsv)`;
  }
  if ((status === 401 || status === 403) && /(^|\.)gcr\.io$|-docker\.pkg\.dev$/.test(host)) {
    return 'Artifact Registry refused the credentials: grant roles/artifactregistry.writer on the repository to gcp-service-account, or to the workload identity principal (principalSet://iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<pool>/attribute.repository/<owner>/<repo>)';
  }
  if (ghcr && (status === 401 || status === 403 || /denied/i.test(text))) {
    return 'GHCR refused the credentials: give the job `permissions: packages: write` (and check Settings → Actions → Workflow permissions is not read-only), log in as ${{ github.actor }} with ${{ secrets.GITHUB_TOKEN }}, and check the package\'s "Manage Actions access" if it already exists; an expired or wrong PAT gives "denied: denied"';
  }
  if (status === 401) {
    if (/insufficient_scope/i.test(text)) return 'the credentials are valid but lack the needed rights (e.g. push): use credentials with write access to this repository';
    return 'authenticate: pass registry credentials (username/password or token), run `docker login`, or set DOCKER_CONFIG to a directory with a config.json for this registry';
  }
  if (status === 403) return 'the registry denied access: check that the credentials have write access to this repository';
  if (status === 429) return 'the registry is rate-limiting; wait and retry, or authenticate to get a higher limit';
  if (status === 413) return 'the manifest is too large (registries accept about 4 MiB): reduce annotations or the number of layers';
  const code = init.errors?.[0]?.code;
  if (code === 'MANIFEST_BLOB_UNKNOWN') return 'a blob the manifest references is missing: push every blob before the manifest';
  if (code === 'MANIFEST_INVALID') return 'the registry rejected the manifest: check that Content-Type equals its mediaType and that the registry accepts these media types (self-hosted Quay and GitLab may need them allow-listed)';
  if (code === 'NAME_UNKNOWN' && status === 404) return 'the repository does not exist (ECR needs it created before the first push)';
  if (code === 'DIGEST_INVALID') return 'the bytes sent do not match the digest: the content changed while uploading';
  return undefined;
}

/** Parses a registry error body defensively: JSON `{"errors":[…]}` with string/object/array `detail`, or text. */
export function parseErrorBody(body: Buffer | string | undefined): { errors: RegistryErrorDetail[]; text?: string } {
  if (body === undefined || body.length === 0) return { errors: [] };
  const text = typeof body === 'string' ? body : body.subarray(0, 64 * 1024).toString('utf8');
  try {
    const parsed = JSON.parse(text) as unknown;
    const list = (parsed as { errors?: unknown }).errors;
    if (Array.isArray(list)) {
      const errors: RegistryErrorDetail[] = [];
      for (const e of list as unknown[]) {
        if (!e || typeof e !== 'object') continue;
        const o = e as { code?: unknown; message?: unknown; detail?: unknown };
        const detail = o.detail === undefined || o.detail === null ? undefined : typeof o.detail === 'string' ? o.detail : JSON.stringify(o.detail);
        errors.push({ code: String(o.code ?? 'UNKNOWN'), message: String(o.message ?? ''), ...(detail ? { detail: detail.slice(0, 500) } : {}) });
      }
      return { errors };
    }
    // Token servers answer {"error": "...", "error_description": "..."} or {"details": "..."}.
    const p = parsed as { error?: unknown; error_description?: unknown; details?: unknown; message?: unknown };
    if (p && typeof p === 'object' && (p.error !== undefined || p.details !== undefined || p.message !== undefined)) {
      const message = String(p.error_description ?? p.details ?? p.message ?? '');
      return { errors: [{ code: String(p.error ?? 'UNKNOWN').toUpperCase(), message }] };
    }
  } catch {
    /* not JSON */
  }
  return { errors: [], text: text.slice(0, 500) };
}

/**
 * Google's refusals as errors that say what to fix: the STS token exchange answers OAuth 2.0 errors
 * (`{error, error_description}`), IAM Credentials and the other Google APIs `{error: {code, status, message}}`.
 * Only the service's own description is quoted, with every secret scrubbed; the library's error object (which holds
 * the request, subject token included) is never attached.
 */
import { D2Error } from '../../../errors.js';
import type { SecretScrubber } from '../shared/cloud.js';

export interface GcpErrorContext {
  registry: string;
  provider?: string;
  projectNumber?: string;
  pool?: string;
  serviceAccount?: string;
  /** Claims of this run's OIDC token, for the binding to add. */
  sub?: string;
  repository?: string;
  scrubber: SecretScrubber;
}

interface LibraryError {
  message?: unknown;
  code?: unknown;
  status?: unknown;
  response?: { status?: number; data?: unknown };
}

function describe(e: LibraryError): { status?: number; oauth?: string; apiStatus?: string; text: string; network?: string } {
  const data = e.response?.data;
  const status = e.response?.status;
  if (data && typeof data === 'object') {
    const d = data as { error?: unknown; error_description?: unknown };
    if (typeof d.error === 'string') return { status, oauth: d.error, text: typeof d.error_description === 'string' ? d.error_description : d.error };
    if (d.error && typeof d.error === 'object') {
      const api = d.error as { status?: unknown; message?: unknown };
      return { status, apiStatus: typeof api.status === 'string' ? api.status : undefined, text: typeof api.message === 'string' ? api.message : '' };
    }
  }
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (!e.response && code && /^(E[A-Z]+|UND_ERR.*|ABORT_ERR)$/.test(code)) return { network: code, text: '' };
  if (!e.response && /abort|timeout|timed out/i.test(String(e.message))) return { network: 'timeout', text: '' };
  return { status, text: typeof e.message === 'string' ? e.message : String(e) };
}

export function gcpError(err: unknown, step: 'sts' | 'impersonation' | 'ambient', c: GcpErrorContext): D2Error {
  if (err instanceof D2Error) return err;
  const d = describe((err ?? {}) as LibraryError);
  const said = c.scrubber.scrub(d.text).slice(0, 500);
  const where = step === 'sts' ? 'Google STS token exchange' : step === 'impersonation' ? `impersonation of ${c.serviceAccount ?? 'the service account'} (IAM Credentials generateAccessToken)` : 'Google credentials from GOOGLE_APPLICATION_CREDENTIALS';
  const member = c.repository
    ? `principalSet://iam.googleapis.com/projects/${c.projectNumber ?? '<number>'}/locations/global/workloadIdentityPools/${c.pool ?? '<pool>'}/attribute.repository/${c.repository}`
    : `principal://iam.googleapis.com/projects/${c.projectNumber ?? '<number>'}/locations/global/workloadIdentityPools/${c.pool ?? '<pool>'}/subject/${c.sub ?? '<sub>'}`;
  const msg = (text: string) => `${where} for ${c.registry} failed: ${text}`;

  if (d.network) {
    return new D2Error(msg(`no answer (${d.network})`), { code: 'REGISTRY_NETWORK', hint: 'check the network path to Google (proxy settings) and re-run the job' });
  }
  if (d.apiStatus === 'PERMISSION_DENIED' || d.status === 403) {
    return new D2Error(msg(said || 'PERMISSION_DENIED'), {
      code: 'REGISTRY_DENIED',
      hint: `grant this workflow's identity roles/iam.workloadIdentityUser on the service account: gcloud iam service-accounts add-iam-policy-binding ${c.serviceAccount ?? '<service account>'} --role=roles/iam.workloadIdentityUser --member=${member}`,
    });
  }
  if (d.oauth === 'unauthorized_client') {
    return new D2Error(msg(said), {
      code: 'REGISTRY_UNAUTHORIZED',
      hint: `the provider's attribute condition rejects this run (sub '${c.sub ?? '?'}'${c.repository ? `, repository '${c.repository}'` : ''}): widen the condition of ${c.provider ?? 'the provider'}, e.g. assertion.repository == '${c.repository ?? '<owner>/<repo>'}'`,
    });
  }
  if (d.oauth === 'invalid_target') {
    return new D2Error(msg(said), { code: 'REGISTRY_UNAUTHORIZED', hint: `check gcp-workload-identity-provider: ${c.provider ?? 'the provider'} must exist and be enabled (gcloud iam workload-identity-pools providers list --location=global --workload-identity-pool=${c.pool ?? '<pool>'})` });
  }
  if (d.oauth === 'invalid_grant') {
    const expired = /expired/i.test(said);
    const audience = /audience/i.test(said);
    return new D2Error(msg(said), {
      code: 'REGISTRY_UNAUTHORIZED',
      hint: expired
        ? 'the OIDC token expired before the exchange: re-run the job (and check the runner clock)'
        : audience
          ? `the provider must accept the audience //iam.googleapis.com/${c.provider ?? '<provider>'} (its default allowed audience): clear the provider's allowed audiences or add that one`
          : `the provider ${c.provider ?? ''} does not trust this OIDC token: check its issuer URI (https://token.actions.githubusercontent.com) and attribute mapping`,
    });
  }
  if (d.apiStatus === 'UNAUTHENTICATED' || d.status === 401) {
    return new D2Error(msg(said || 'UNAUTHENTICATED'), { code: 'REGISTRY_UNAUTHORIZED', hint: 'the federated token was refused: check gcp-workload-identity-provider and the provider\'s attribute mapping' });
  }
  if (d.apiStatus === 'NOT_FOUND' || d.status === 404) {
    return new D2Error(msg(said || 'NOT_FOUND'), { code: 'REGISTRY_NOT_FOUND', hint: `check gcp-service-account '${c.serviceAccount ?? ''}': the service account must exist` });
  }
  return new D2Error(msg(said || `HTTP ${d.status ?? '?'}`), {
    code: d.status && d.status >= 500 ? 'REGISTRY_SERVER_ERROR' : 'REGISTRY_UNAUTHORIZED',
    hint: step === 'ambient' ? 'check the credentials file that GOOGLE_APPLICATION_CREDENTIALS points at (re-run google-github-actions/auth)' : 'check gcp-workload-identity-provider and gcp-service-account, then re-run the job',
  });
}

/**
 * The gcp provider's inputs, checked before any request (docs/cloud-registries.md "Google Artifact
 * Registry"): either `gcp-workload-identity-provider` with the run's OIDC token, or, with that input empty, the ambient
 * credentials file `GOOGLE_APPLICATION_CREDENTIALS` (what google-github-actions/auth leaves behind). The metadata
 * server is never probed: GitHub's runners have none.
 */
import { existsSync } from 'node:fs';
import { InputError, clip } from '../../../errors.js';
import type { CloudCredentialContext } from '../../../base/index.js';

/** `projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>` */
export const WORKLOAD_IDENTITY_PROVIDER_RE = /^projects\/(\d+)\/locations\/global\/workloadIdentityPools\/([a-z0-9-]{4,32})\/providers\/([a-z0-9-]{4,32})$/;
const SERVICE_ACCOUNT_RE = /^[a-z0-9][a-z0-9._-]*@[a-z0-9][a-z0-9.-]*\.gserviceaccount\.com$/i;

/** The environment variables that point the provider at other Google endpoints (test stand-ins, private endpoints). */
export const GCP_STS_URL_ENV = 'D2_GCP_STS_URL';
export const GCP_IAMCREDENTIALS_URL_ENV = 'D2_GCP_IAMCREDENTIALS_URL';

export type GcpPlan =
  | { kind: 'federated'; provider: string; projectNumber: string; pool: string; audience: string; serviceAccount?: string; stsUrl?: string; iamCredentialsUrl?: string; idToken: (audience: string) => Promise<string> }
  | { kind: 'ambient'; credentialsFile: string };

function endpoint(env: CloudCredentialContext['env'], name: string): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`${name} '${clip(value)}' is not a URL`, `set ${name} to an absolute https URL, or unset it to use Google's endpoint`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname))) {
    throw new InputError(`${name} '${clip(value)}' is not https`, 'tokens are only sent over https (plain http only to a loopback address)');
  }
  return value.replace(/\/+$/, '');
}

export function planGcp(ctx: CloudCredentialContext): GcpPlan {
  const provider = ctx.inputs.gcpWorkloadIdentityProvider?.trim() ?? '';
  const serviceAccount = ctx.inputs.gcpServiceAccount?.trim() || undefined;
  if (serviceAccount && !SERVICE_ACCOUNT_RE.test(serviceAccount)) {
    throw new InputError(`gcp-service-account '${clip(serviceAccount)}' is not a service account email`, 'use the email of the service account to impersonate, e.g. pusher@my-project.iam.gserviceaccount.com');
  }
  if (provider) {
    const m = WORKLOAD_IDENTITY_PROVIDER_RE.exec(provider.replace(/^(https:)?\/\/iam\.googleapis\.com\//, ''));
    if (!m) {
      throw new InputError(
        `gcp-workload-identity-provider '${clip(provider)}' is not a workload identity provider name`,
        'use the full name: projects/<project number>/locations/global/workloadIdentityPools/<pool>/providers/<provider> (gcloud iam workload-identity-pools providers describe <provider> --location=global --workload-identity-pool=<pool> --format="value(name)")',
      );
    }
    const name = m[0];
    if (!ctx.idToken) {
      throw new InputError(
        'gcp-workload-identity-provider is set, but this job cannot get an OIDC token',
        'add `permissions: id-token: write` to the job (outside GitHub Actions, configure an identity provider); or leave gcp-workload-identity-provider empty and provide GOOGLE_APPLICATION_CREDENTIALS',
      );
    }
    return {
      kind: 'federated',
      provider: name,
      projectNumber: m[1],
      pool: m[2],
      audience: `//iam.googleapis.com/${name}`,
      serviceAccount,
      stsUrl: endpoint(ctx.env, GCP_STS_URL_ENV),
      iamCredentialsUrl: endpoint(ctx.env, GCP_IAMCREDENTIALS_URL_ENV),
      idToken: ctx.idToken,
    };
  }
  const file = ctx.env.GOOGLE_APPLICATION_CREDENTIALS?.trim();
  if (!file) {
    throw new InputError(
      `gcp-workload-identity-provider is required to push to ${ctx.registry} with provider gcp`,
      'set gcp-workload-identity-provider (and id-token: write), or run google-github-actions/auth before this step so that GOOGLE_APPLICATION_CREDENTIALS is set',
    );
  }
  if (serviceAccount) {
    throw new InputError('gcp-service-account needs gcp-workload-identity-provider', 'set gcp-workload-identity-provider too, or configure impersonation in the credentials file GOOGLE_APPLICATION_CREDENTIALS points at');
  }
  if (!existsSync(file)) {
    throw new InputError(`GOOGLE_APPLICATION_CREDENTIALS points at '${clip(file)}', which does not exist`, 'run google-github-actions/auth in the same job before this step, or set gcp-workload-identity-provider');
  }
  return { kind: 'ambient', credentialsFile: file };
}

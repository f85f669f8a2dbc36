/**
 * The GCP credential exchange through google-auth-library (loaded only when a gcp registry is used):
 * OIDC token (audience `//iam.googleapis.com/<provider>`) → Google STS token exchange → optionally IAM Credentials
 * `generateAccessToken` for `gcp-service-account` → an access token; or the ambient credentials file. Endpoint
 * overrides go through the library's own `token_url` / `service_account_impersonation_url` fields.
 */
import type { TimeBudget } from '../../../util/index.js';
import { oidcSourceError, requestTimeoutMs, SecretScrubber, tokenClaims } from '../shared/cloud.js';
import { gcpError, type GcpErrorContext } from './errors.js';
import type { GcpPlan } from './inputs.js';

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const STS_URL = 'https://sts.googleapis.com/v1/token';
const IAM_CREDENTIALS_URL = 'https://iamcredentials.googleapis.com';
/** GitHub's OIDC token is a JWT (RFC 8693 token type). */
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

export async function gcpAccessToken(plan: GcpPlan, registry: string, scrubber: SecretScrubber, budget?: TimeBudget): Promise<string> {
  const imported = await import('google-auth-library');
  // google-auth-library is CommonJS: the split ESM bundles hand it over as the `default` export only (Node's own
  // import() also gives named exports). Either way `lib` is its module.exports.
  const lib = 'gaxios' in imported ? imported : (imported as unknown as { default: typeof imported }).default;
  // Every token Google returns, the intermediate federated token of an impersonation included (which the library
  // keeps to itself), is masked as its response arrives, through gaxios's own response interceptor.
  const transporter = new lib.gaxios.Gaxios({ timeout: requestTimeoutMs(budget) });
  transporter.interceptors.response.add({
    resolved: (res) => {
      const data = res.data as Record<string, unknown> | undefined;
      if (data && typeof data === 'object') {
        // STS and OAuth (`access_token`), IAM Credentials (`accessToken`), and a URL-sourced subject token in a
        // credentials file (GitHub's id-token endpoint answers `{"value": <JWT>}`).
        for (const key of ['access_token', 'accessToken', 'id_token', 'value']) {
          const v = data[key];
          if (typeof v === 'string' && (key !== 'value' || v.split('.').length === 3)) scrubber.add(v);
        }
      }
      return Promise.resolve(res);
    },
  });
  if (plan.kind === 'ambient') {
    try {
      const auth = new lib.GoogleAuth({ keyFilename: plan.credentialsFile, scopes: [CLOUD_PLATFORM], clientOptions: { transporter } });
      const client = await auth.getClient();
      const { token } = await client.getAccessToken();
      if (!token) throw new Error('the credentials file yielded no access token');
      scrubber.add(token);
      return token;
    } catch (e) {
      throw gcpError(e, 'ambient', { registry, scrubber });
    }
  }

  const errCtx: GcpErrorContext = { registry, provider: plan.provider, projectNumber: plan.projectNumber, pool: plan.pool, serviceAccount: plan.serviceAccount, scrubber };
  let oidcToken: string | undefined;
  let sourceFailure: unknown;
  const tokenUrl = plan.stsUrl ?? STS_URL;
  // The library gives its STS step a Gaxios instance of its own (no timeout, no interceptor): hand it ours, through
  // the STS client's own constructor options.
  class Client extends lib.IdentityPoolClient {
    constructor(options: ConstructorParameters<typeof lib.IdentityPoolClient>[0]) {
      super(options);
      const Sts = this.stsCredential.constructor as new (o: { tokenExchangeEndpoint: string; transporter: typeof transporter }) => Client['stsCredential'];
      this.stsCredential = new Sts({ tokenExchangeEndpoint: tokenUrl, transporter });
    }
  }
  const client = new Client({
    type: 'external_account',
    audience: plan.audience,
    subject_token_type: JWT_TOKEN_TYPE,
    token_url: tokenUrl,
    scopes: [CLOUD_PLATFORM],
    ...(plan.serviceAccount
      ? { service_account_impersonation_url: `${plan.iamCredentialsUrl ?? IAM_CREDENTIALS_URL}/v1/projects/-/serviceAccounts/${encodeURIComponent(plan.serviceAccount)}:generateAccessToken` }
      : {}),
    subject_token_supplier: {
      getSubjectToken: async () => {
        try {
          oidcToken ??= await plan.idToken(plan.audience);
        } catch (e) {
          sourceFailure = e;
          throw e;
        }
        scrubber.add(oidcToken);
        Object.assign(errCtx, tokenClaims(oidcToken));
        return oidcToken;
      },
    },
    transporter,
  });
  // The impersonation step's failures carry IAM's PERMISSION_DENIED; the STS step's the OAuth errors.
  let token: string | null | undefined;
  try {
    token = (await client.getAccessToken()).token;
  } catch (e) {
    if (sourceFailure !== undefined) throw oidcSourceError(sourceFailure, scrubber);
    const isImpersonation = Boolean(plan.serviceAccount) && typeof (e as { response?: { data?: { error?: unknown } } }).response?.data?.error === 'object';
    throw gcpError(e, isImpersonation ? 'impersonation' : 'sts', errCtx);
  }
  if (!token) throw gcpError(new Error('Google returned no access token'), 'sts', errCtx);
  scrubber.add(token);
  return token;
}

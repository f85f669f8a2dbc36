/**
 * The AWS provider's plan (docs/cloud-registries.md "Amazon ECR"): the inputs and the environment checked
 * synchronously, before any request, into what ./ecr.ts does.
 */
import { InputError, clip } from '../../../errors.js';
import type { CloudCredentialContext } from '../../../base/index.js';

export const STS_AUDIENCE = 'sts.amazonaws.com';
/** ECR Public's API lives in us-east-1 only. */
export const ECR_PUBLIC_REGION = 'us-east-1';
export const ECR_PUBLIC_HOST = 'public.ecr.aws';

const ROLE_ARN = /^arn:aws(?:-[a-z]+)*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com$/;

/** ECR's registry host → account and region (undefined parts for other hosts). */
export function parseEcrHost(registry: string): { account?: string; region?: string; public: boolean } {
  const host = registry.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0].toLowerCase().replace(/:\d+$/, '');
  if (host === ECR_PUBLIC_HOST) return { public: true };
  const m = ECR_HOST.exec(host);
  return m ? { account: m[1], region: m[2], public: false } : { public: false };
}

/** How credentials are obtained, decided from the inputs and the environment. */
export type AwsAuth =
  | { kind: 'web-identity'; roleArn: string; sessionName: string }
  | { kind: 'environment'; accessKeyId: string; secretAccessKey: string; sessionToken?: string };

export interface AwsPlan {
  registry: string;
  region: string;
  account?: string;
  public: boolean;
  auth: AwsAuth;
  createRepository: boolean;
  /** AWS_ENDPOINT_URL_STS / _ECR / _ECR_PUBLIC, else AWS_ENDPOINT_URL (the SDKs' standard endpoint settings). */
  endpoints: { sts?: string; ecr?: string; ecrPublic?: string };
}

function endpoint(env: Record<string, string | undefined>, service: string): string | undefined {
  const v = env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL;
  if (!v) return undefined;
  try {
    new URL(v);
  } catch {
    throw new InputError(`AWS_ENDPOINT_URL_${service} is not a URL: '${clip(v)}'`, 'unset it to use AWS, or set it to the endpoint URL, e.g. https://sts.eu-west-1.amazonaws.com');
  }
  return v;
}

/** Checks the inputs and the environment; throws an input error naming the input to set. No request is made. */
export function planAws(ctx: Pick<CloudCredentialContext, 'registry' | 'inputs' | 'env' | 'idToken'>): AwsPlan {
  const { inputs, env } = ctx;
  const host = parseEcrHost(ctx.registry);
  const roleArn = inputs.awsRoleArn?.trim() ?? '';
  if (roleArn && !ROLE_ARN.test(roleArn)) {
    throw new InputError(`aws-role-arn '${clip(roleArn)}' is not an IAM role ARN`, 'use the form arn:aws:iam::<12-digit account>:role/<name> (the role the workflow may assume)');
  }
  const regionInput = inputs.awsRegion?.trim() ?? '';
  const region = host.public ? ECR_PUBLIC_REGION : regionInput || host.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || '';
  if (!region) {
    throw new InputError(`aws-region is required for registry '${clip(ctx.registry)}' (the host names no region)`, 'set aws-region (e.g. eu-west-1), or use the ECR host <account>.dkr.ecr.<region>.amazonaws.com');
  }
  if (!REGION.test(region)) throw new InputError(`aws-region '${clip(region)}' is not an AWS region`, 'e.g. us-east-1, eu-west-1');
  const sessionName = inputs.awsSessionName?.trim() || defaultSessionName(env);
  if (!SESSION_NAME.test(sessionName)) {
    throw new InputError(`aws-session-name '${clip(sessionName)}' is not a valid role session name`, '2 to 64 characters of letters, digits and +=,.@_-');
  }
  let auth: AwsAuth;
  if (roleArn) {
    if (!ctx.idToken) {
      throw new InputError(
        'aws-role-arn is set, but no OIDC token can be had here (ACTIONS_ID_TOKEN_REQUEST_URL is not set)',
        "add `permissions: id-token: write` to the job (a reusable workflow's caller must grant it too); outside GitHub Actions set SIGSTORE_ID_TOKEN to a token minted for audience sts.amazonaws.com",
      );
    }
    auth = { kind: 'web-identity', roleArn, sessionName };
  } else if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    auth = { kind: 'environment', accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined };
  } else {
    // Never the instance metadata service: GitHub's runners have none, and the probe only costs time-outs.
    throw new InputError(
      `provider aws needs aws-role-arn for registry '${clip(ctx.registry)}' (no AWS credentials in the environment)`,
      'set aws-role-arn to the IAM role the workflow assumes with its OIDC token (and `permissions: id-token: write`), or run aws-actions/configure-aws-credentials first (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)',
    );
  }
  return {
    registry: ctx.registry,
    region,
    account: host.account,
    public: host.public,
    auth,
    createRepository: inputs.createRepository === true,
    endpoints: { sts: endpoint(env, 'STS'), ecr: endpoint(env, 'ECR'), ecrPublic: endpoint(env, 'ECR_PUBLIC') },
  };
}

/** `d2-<run id>` inside GitHub Actions, else `d2-actions`. */
function defaultSessionName(env: Record<string, string | undefined>): string {
  return env.GITHUB_RUN_ID && /^\d+$/.test(env.GITHUB_RUN_ID) ? `d2-${env.GITHUB_RUN_ID}` : 'd2-actions';
}


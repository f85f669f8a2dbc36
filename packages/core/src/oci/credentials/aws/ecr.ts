/**
 * The AWS calls of the ECR provider, with the AWS SDK (loaded by ./index.ts on first use only). Every secret is passed
 * to `mask` before it can reach a log; every call has a deadline (the run's time limit and a per-request timeout) and
 * goes to the endpoint the standard AWS_ENDPOINT_URL_* settings name, else to AWS.
 */
import { CreateRepositoryCommand, DescribeRepositoriesCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import {
  CreateRepositoryCommand as CreatePublicRepositoryCommand,
  DescribeRepositoriesCommand as DescribePublicRepositoriesCommand,
  ECRPUBLICClient,
  GetAuthorizationTokenCommand as GetPublicAuthorizationTokenCommand,
} from '@aws-sdk/client-ecr-public';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { CloudCredentialContext, Credentials } from '../../../base/index.js';
import { D2Error, InputError, clip } from '../../../errors.js';
import { STS_AUDIENCE, type AwsPlan } from './plan.js';

interface AwsKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Per request: connect within 10 s, answer within 30 s; the run's time limit bounds the whole exchange. */
const REQUEST_HANDLER = { connectionTimeout: 10_000, requestTimeout: 30_000 };
const CLOCK_SKEW_S = 300;

function claimsOf(token: string): Record<string, unknown> {
  try {
    const c: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return c && typeof c === 'object' ? (c as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * A token STS would refuse is refused here, with the fix: its audience must include sts.amazonaws.com and it must not
 * have expired (claims read without verifying the signature: this is a message, not a trust decision).
 */
export function checkWebIdentityToken(token: string, now = Date.now()): Record<string, unknown> {
  const claims = claimsOf(token);
  const aud = claims.aud;
  const auds = Array.isArray(aud) ? aud : [aud];
  if (!auds.includes(STS_AUDIENCE)) {
    throw new InputError(
      `the OIDC token's audience is '${clip(auds.map(String).join(', '))}', but AWS STS accepts only tokens for '${STS_AUDIENCE}'`,
      'inside GitHub Actions the token is requested for sts.amazonaws.com; elsewhere mint the token (SIGSTORE_ID_TOKEN) with aud: sts.amazonaws.com',
    );
  }
  if (typeof claims.exp === 'number' && claims.exp + CLOCK_SKEW_S < now / 1000) {
    throw new InputError(`the OIDC token expired at ${new Date(claims.exp * 1000).toISOString()}`, 'request a fresh token for this run (tokens live a few minutes)');
  }
  return claims;
}

function maskKeys(keys: AwsKeys, mask: (s: string) => void): AwsKeys {
  mask(keys.secretAccessKey);
  if (keys.sessionToken) mask(keys.sessionToken);
  return keys;
}

function nameOf(err: unknown): string {
  return err && typeof err === 'object' && 'name' in err ? String((err as { name: unknown }).name) : '';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const noCredentials = (): Promise<never> => Promise.reject(new Error('this request is not signed'));

/** Once per run and registry (the plan is the registry's): the repository check and the token share one STS call. */
const keysCache = new WeakMap<AwsPlan, Promise<AwsKeys>>();

function keysFor(plan: AwsPlan, ctx: CloudCredentialContext): Promise<AwsKeys> {
  let p = keysCache.get(plan);
  if (!p) {
    p = fetchKeys(plan, ctx);
    p.catch(() => keysCache.delete(plan));
    keysCache.set(plan, p);
  }
  return p;
}

async function fetchKeys(plan: AwsPlan, ctx: CloudCredentialContext): Promise<AwsKeys> {
  const auth = plan.auth;
  if (auth.kind === 'environment') return maskKeys({ accessKeyId: auth.accessKeyId, secretAccessKey: auth.secretAccessKey, sessionToken: auth.sessionToken }, ctx.mask);
  if (!ctx.idToken) throw new InputError('aws-role-arn is set, but no OIDC token can be had here', 'add `permissions: id-token: write` to the job');
  const token = await ctx.idToken(STS_AUDIENCE);
  ctx.mask(token);
  const claims = checkWebIdentityToken(token);
  // AssumeRoleWithWebIdentity is not signed: the credentials provider must never be consulted (no metadata probe).
  const sts = new STSClient({ region: plan.region, endpoint: plan.endpoints.sts, credentials: noCredentials, maxAttempts: 3, requestHandler: REQUEST_HANDLER });
  try {
    const out = await sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: auth.roleArn, RoleSessionName: auth.sessionName, WebIdentityToken: token }), {
      abortSignal: ctx.budget?.signal,
    });
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new D2Error('STS AssumeRoleWithWebIdentity returned no credentials', { code: 'REGISTRY_UNAUTHORIZED', hint: 'retry; if it persists, check the role in IAM' });
    return maskKeys({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken }, ctx.mask);
  } catch (err) {
    if (err instanceof D2Error) throw err;
    const name = nameOf(err);
    if (name === 'AccessDenied' || name === 'AccessDeniedException' || name === 'InvalidIdentityToken') {
      throw new D2Error(`STS refused to let this workflow assume ${auth.roleArn} (${name}): ${clip(messageOf(err))}`, {
        code: 'REGISTRY_DENIED',
        hint: trustPolicyHint(claims),
        cause: err,
      });
    }
    throw new D2Error(`STS AssumeRoleWithWebIdentity failed (${name || 'error'}): ${clip(messageOf(err))}`, { code: 'REGISTRY_UNAUTHORIZED', hint: 'check aws-region and the network path to STS', cause: err });
  } finally {
    sts.destroy();
  }
}

/** The trust-policy condition that admits this run (its `sub` and `aud` claims), for the error's hint. */
export function trustPolicyHint(claims: Record<string, unknown>): string {
  const iss = typeof claims.iss === 'string' ? claims.iss.replace(/^https:\/\//, '') : 'token.actions.githubusercontent.com';
  const sub = typeof claims.sub === 'string' ? claims.sub : '<sub>';
  const condition = { StringEquals: { [`${iss}:aud`]: STS_AUDIENCE, [`${iss}:sub`]: sub } };
  return `the role's trust policy must allow sts:AssumeRoleWithWebIdentity for the OIDC provider ${iss} with the condition ${JSON.stringify(condition)} (docs/cloud-registries.md "Amazon ECR")`;
}

function decodeEcrToken(token: string, mask: (s: string) => void): Credentials {
  mask(token);
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i <= 0) throw new D2Error('ECR returned an authorization token that is not base64 of user:password', { code: 'REGISTRY_UNAUTHORIZED', hint: 'retry; if it persists, report it' });
  const password = decoded.slice(i + 1);
  mask(password);
  // The service reports an expiry; a token that was just issued is used whatever it says (clocks differ).
  return { username: decoded.slice(0, i), password };
}

export async function registryCredentials(plan: AwsPlan, ctx: CloudCredentialContext): Promise<Credentials> {
  const credentials = await keysFor(plan, ctx);
  const opts = { abortSignal: ctx.budget?.signal };
  try {
    if (plan.public) {
      const client = new ECRPUBLICClient({ region: plan.region, endpoint: plan.endpoints.ecrPublic, credentials, maxAttempts: 3, requestHandler: REQUEST_HANDLER });
      try {
        const out = await client.send(new GetPublicAuthorizationTokenCommand({}), opts);
        const token = out.authorizationData?.authorizationToken;
        if (!token) throw new D2Error('ECR Public returned no authorization token', { code: 'REGISTRY_UNAUTHORIZED', hint: 'check that the role may call ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken' });
        return decodeEcrToken(token, ctx.mask);
      } finally {
        client.destroy();
      }
    }
    const client = new ECRClient({ region: plan.region, endpoint: plan.endpoints.ecr, credentials, maxAttempts: 3, requestHandler: REQUEST_HANDLER });
    try {
      const out = await client.send(new GetAuthorizationTokenCommand(plan.account ? { registryIds: [plan.account] } : {}), opts);
      const token = out.authorizationData?.[0]?.authorizationToken;
      if (!token) throw new D2Error('ECR returned no authorization token', { code: 'REGISTRY_UNAUTHORIZED', hint: 'check that the role may call ecr:GetAuthorizationToken' });
      return decodeEcrToken(token, ctx.mask);
    } finally {
      client.destroy();
    }
  } catch (err) {
    if (err instanceof D2Error) throw err;
    const name = nameOf(err);
    throw new D2Error(`ECR GetAuthorizationToken failed (${name || 'error'}): ${clip(messageOf(err))}`, {
      code: name.includes('AccessDenied') ? 'REGISTRY_DENIED' : 'REGISTRY_UNAUTHORIZED',
      hint: 'the role needs ecr:GetAuthorizationToken (and for pushes ecr:BatchCheckLayerAvailability, ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:PutImage, ecr:BatchGetImage)',
      cause: err,
    });
  }
}

/**
 * ECR does not create a repository on push: a missing one is an error naming it, or with create-repository: true it
 * is created (CreateRepository; imageTagMutability left to the account's default). A repository whose tags are
 * immutable gets a warning: moving a tag such as `latest` will fail there.
 */
export async function ensureRepository(plan: AwsPlan, ctx: CloudCredentialContext, repository: string): Promise<void> {
  const credentials = await keysFor(plan, ctx);
  const opts = { abortSignal: ctx.budget?.signal };
  const where = `${plan.registry}/${repository}`;
  const client = plan.public
    ? new ECRPUBLICClient({ region: plan.region, endpoint: plan.endpoints.ecrPublic, credentials, maxAttempts: 3, requestHandler: REQUEST_HANDLER })
    : new ECRClient({ region: plan.region, endpoint: plan.endpoints.ecr, credentials, maxAttempts: 3, requestHandler: REQUEST_HANDLER });
  try {
    let mutability: string | undefined;
    try {
      if (client instanceof ECRPUBLICClient) {
        await client.send(new DescribePublicRepositoriesCommand({ repositoryNames: [repository] }), opts);
      } else {
        const out = await client.send(new DescribeRepositoriesCommand({ repositoryNames: [repository], ...(plan.account ? { registryId: plan.account } : {}) }), opts);
        mutability = out.repositories?.[0]?.imageTagMutability;
      }
    } catch (err) {
      if (nameOf(err) !== 'RepositoryNotFoundException') throw err;
      if (!plan.createRepository) {
        throw new D2Error(`ECR repository '${clip(repository)}' does not exist in ${plan.registry} (ECR does not create repositories on push)`, {
          code: 'REGISTRY_NOT_FOUND',
          hint: `create it (aws ecr create-repository --repository-name ${clip(repository)}), or set create-repository: true`,
        });
      }
      if (client instanceof ECRPUBLICClient) await client.send(new CreatePublicRepositoryCommand({ repositoryName: repository }), opts);
      else await client.send(new CreateRepositoryCommand({ repositoryName: repository, ...(plan.account ? { registryId: plan.account } : {}) }), opts);
      ctx.warn?.(`created the ECR repository ${where} (create-repository: true)`);
    }
    if (mutability?.startsWith('IMMUTABLE')) {
      ctx.warn?.(`ECR repository ${where} has immutable tags (imageTagMutability ${mutability}): a tag that already exists (e.g. latest) cannot be moved there`);
    }
  } catch (err) {
    if (err instanceof D2Error) throw err;
    const name = nameOf(err);
    throw new D2Error(`ECR could not check repository ${where} (${name || 'error'}): ${clip(messageOf(err))}`, {
      code: name.includes('AccessDenied') ? 'REGISTRY_DENIED' : 'REGISTRY_SERVER_ERROR',
      hint: `the role needs ecr:DescribeRepositories${plan.createRepository ? ' and ecr:CreateRepository' : ''} on ${repository}`,
      cause: err,
    });
  } finally {
    client.destroy();
  }
}

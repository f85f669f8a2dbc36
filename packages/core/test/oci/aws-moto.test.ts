/**
 * The AWS provider against moto's server (packages/sandbox/src/moto.ts): the sandbox OIDC issuer mints the workflow
 * token, STS AssumeRoleWithWebIdentity and ECR GetAuthorizationToken / DescribeRepositories / CreateRepository are
 * moto's. The same code runs against AWS; only the AWS_ENDPOINT_URL_* settings differ.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecrPassword, MOTO_MISSING, MOTO_ROLE_ARN, motoServer, startMoto, type SandboxMoto } from '@d2/sandbox/moto';
import { startOidc, type SandboxOidc } from '@d2/sandbox/oidc';
import { CloudCredentials } from '../../src/oci/index.js';
import { audienceTokenSource } from '../../src/oidc/index.js';

const installed = motoServer() !== undefined;
if (!installed) console.warn(`aws-moto.test.ts skipped: ${MOTO_MISSING}`);

describe.skipIf(!installed)('aws provider against moto', () => {
  let moto: SandboxMoto;
  let oidc: SandboxOidc;
  const identity = { repository: 'acme/apps', workflow: '.github/workflows/push.yaml', ref: 'refs/heads/main' };

  beforeAll(async () => {
    [moto, oidc] = await Promise.all([startMoto(), startOidc()]);
  });
  afterAll(async () => {
    await moto?.stop();
    await oidc?.stop();
  });

  function cloud(opts: { createRepository?: boolean; claims?: Record<string, unknown>; ttlSeconds?: number } = {}) {
    const masked: string[] = [];
    const warnings: string[] = [];
    const env = { ...moto.env('eu-west-1'), ...oidc.envFor({ ...identity, claims: opts.claims, ttlSeconds: opts.ttlSeconds }) };
    const mask = (s: string) => masked.push(s);
    const c = new CloudCredentials({
      setting: 'aws',
      inputs: { awsRoleArn: MOTO_ROLE_ARN, createRepository: opts.createRepository },
      env,
      idToken: audienceTokenSource(env, mask),
      mask,
      warn: (m) => warnings.push(m),
    });
    c.use('127.0.0.1:5000');
    return { c, masked, warnings };
  }

  it('OIDC token → AssumeRoleWithWebIdentity → GetAuthorizationToken → AWS:<password>, every secret masked, once per run', async () => {
    const { c, masked } = cloud();
    const before = oidc.requests;
    const creds = await c.get('127.0.0.1:5000');
    expect(creds).toEqual({ username: 'AWS', password: ecrPassword() });
    // The service says the token expired in 2015 (moto): a token that was just issued is used all the same.
    expect(masked).toContain(ecrPassword());
    expect(masked.some((s) => s.split('.').length === 3)).toBe(true); // the OIDC token
    await c.get('127.0.0.1:5000');
    expect(oidc.requests - before).toBe(1);
  });

  it('a missing repository is an error naming it; create-repository: true creates it; immutable tags are warned about', async () => {
    const { c } = cloud();
    await expect(c.ensureRepositories(['127.0.0.1:5000/team/missing'])).rejects.toThrow(/ECR repository 'team\/missing' does not exist in 127\.0\.0\.1:5000/);
    const created = cloud({ createRepository: true });
    await created.c.ensureRepositories(['127.0.0.1:5000/team/created']);
    expect(created.warnings.join('\n')).toContain('created the ECR repository 127.0.0.1:5000/team/created');
    // Now it exists: no error without create-repository either.
    await c.ensureRepositories(['127.0.0.1:5000/team/created']);
    await fetch(`${moto.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.CreateRepository', authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/eu-west-1/ecr/aws4_request, SignedHeaders=host, Signature=x' },
      body: JSON.stringify({ repositoryName: 'team/immutable', imageTagMutability: 'IMMUTABLE' }),
    });
    const w = cloud();
    await w.c.ensureRepositories(['127.0.0.1:5000/team/immutable']);
    expect(w.warnings.join('\n')).toMatch(/team\/immutable has immutable tags .*cannot be moved/);
  });

  it('a token for the wrong audience is refused before it is sent, naming the audience STS needs', async () => {
    const { c } = cloud({ claims: { aud: 'sigstore' } });
    await expect(c.get('127.0.0.1:5000')).rejects.toThrow(/audience is 'sigstore', but AWS STS accepts only tokens for 'sts\.amazonaws\.com'/);
  });

  it('an expired token is refused, saying when it expired', async () => {
    const { c } = cloud({ ttlSeconds: -3600 });
    await expect(c.get('127.0.0.1:5000')).rejects.toThrow(/the OIDC token expired at/);
  });
});

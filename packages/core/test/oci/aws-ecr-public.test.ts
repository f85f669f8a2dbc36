/**
 * `public.ecr.aws`: the ECR Public API (us-east-1 only) gives the registry token. moto has no ECR Public, so STS is
 * moto's and ECR Public is a loopback stand-in that answers GetAuthorizationToken exactly as the Amazon ECR Public API
 * Reference documents it (JSON 1.1 protocol, `X-Amz-Target: SpencerFrontendService.GetAuthorizationToken`, response
 * `{"authorizationData": {"authorizationToken": base64("AWS:<password>"), "expiresAt": <epoch seconds>}}`); the AWS SDK's
 * ECR Public client parses it as it would AWS's.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenLoopback, startOidc, type SandboxOidc } from '@d2/sandbox';
import { MOTO_MISSING, MOTO_ROLE_ARN, motoServer, startMoto, type SandboxMoto } from '@d2/sandbox/moto';
import { CloudCredentials } from '../../src/oci/index.js';
import { audienceTokenSource } from '../../src/oidc/index.js';

const installed = motoServer() !== undefined;
if (!installed) console.warn(`aws-ecr-public.test.ts skipped: ${MOTO_MISSING}`);

describe.skipIf(!installed)('ECR Public (public.ecr.aws) through the ECR Public API', () => {
  let moto: SandboxMoto;
  let oidc: SandboxOidc;
  let ecrPublic: Server;
  let url = '';
  const seen: { target?: string; authorization?: string; body: string }[] = [];
  const password = 'ecr-public-password-0123456789';

  beforeAll(async () => {
    [moto, oidc] = await Promise.all([startMoto(), startOidc()]);
    ecrPublic = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString('utf8')));
      req.on('end', () => {
        seen.push({ target: req.headers['x-amz-target'] as string | undefined, authorization: req.headers.authorization, body });
        if (req.headers['x-amz-target'] !== 'SpencerFrontendService.GetAuthorizationToken') {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ __type: 'InvalidParameterException', message: 'unknown operation' }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ authorizationData: { authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'), expiresAt: Math.floor(Date.now() / 1000) + 43_200 } }));
      });
    });
    url = `http://127.0.0.1:${await listenLoopback(ecrPublic)}`;
  }, 60_000);
  afterAll(async () => {
    await new Promise((r) => ecrPublic?.close(r));
    await Promise.all([moto?.stop(), oidc?.stop()]);
  });

  it('OIDC → STS (moto) → ECR Public GetAuthorizationToken in us-east-1 → AWS:<password>, masked, once per run', async () => {
    const identity = { repository: 'acme/apps', workflow: '.github/workflows/push.yaml', ref: 'refs/heads/main' };
    const env = { ...moto.env('eu-west-1'), AWS_ENDPOINT_URL_ECR_PUBLIC: url, ...oidc.envFor(identity) };
    const masked: string[] = [];
    const mask = (s: string): void => void masked.push(s);
    const cloud = new CloudCredentials({ setting: 'auto', inputs: { awsRoleArn: MOTO_ROLE_ARN }, env, idToken: audienceTokenSource(env, mask), mask });
    cloud.use('public.ecr.aws');
    await expect(cloud.get('public.ecr.aws')).resolves.toEqual({ username: 'AWS', password });
    await expect(cloud.get('public.ecr.aws')).resolves.toEqual({ username: 'AWS', password });
    expect(seen).toHaveLength(1);
    expect(seen[0].target).toBe('SpencerFrontendService.GetAuthorizationToken');
    // Signed (SigV4) for ECR Public in us-east-1, whatever region the job names.
    expect(seen[0].authorization).toMatch(/Credential=[^/]+\/\d{8}\/us-east-1\/ecr-public\/aws4_request/);
    expect(masked).toContain(password);
  });
});

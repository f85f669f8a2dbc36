/**
 * STS refusing AssumeRoleWithWebIdentity becomes the trust-policy condition to add, with this run's `sub` and `aud`.
 * moto does not check trust policies, so a loopback stand-in answers exactly as STS documents a refusal (Query API
 * error response: HTTP 403, `<ErrorResponse><Error><Code>AccessDenied</Code>…`, AWS STS API Reference "Common
 * Errors" and AssumeRoleWithWebIdentity "Errors"); the AWS SDK parses it as it would AWS's.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenLoopback, startOidc, type SandboxOidc } from '@d2/sandbox';
import { D2Error } from '../../src/errors.js';
import { CloudCredentials } from '../../src/oci/index.js';
import { audienceTokenSource } from '../../src/oidc/index.js';

describe('STS AccessDenied → the trust-policy condition', () => {
  let sts: Server;
  let url = '';
  let oidc: SandboxOidc;
  let bodies: string[] = [];

  beforeAll(async () => {
    sts = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString('utf8')));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(403, { 'content-type': 'text/xml' });
        res.end(
          '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>' +
            '<Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error><RequestId>d2-test</RequestId></ErrorResponse>',
        );
      });
    });
    url = `http://127.0.0.1:${await listenLoopback(sts)}`;
    oidc = await startOidc();
  });
  afterAll(async () => {
    await new Promise((r) => sts?.close(r));
    await oidc?.stop();
  });

  it('names the OIDC provider, the aud and this run\'s sub, and masks the token it sent', async () => {
    bodies = [];
    const masked: string[] = [];
    const identity = { repository: 'acme/apps', workflow: '.github/workflows/push.yaml', ref: 'refs/heads/main' };
    const env = { AWS_ENDPOINT_URL_STS: url, AWS_ENDPOINT_URL_ECR: url, ...oidc.envFor(identity) };
    const mask = (s: string) => masked.push(s);
    const cloud = new CloudCredentials({ setting: 'aws', inputs: { awsRoleArn: 'arn:aws:iam::123456789012:role/d2-push', awsRegion: 'eu-west-1' }, env, idToken: audienceTokenSource(env, mask), mask });
    cloud.use('127.0.0.1:5000');
    const err = await cloud.get('127.0.0.1:5000').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(D2Error);
    const e = err as D2Error;
    expect(e.message).toContain('STS refused to let this workflow assume arn:aws:iam::123456789012:role/d2-push (AccessDenied)');
    expect(e.hint).toContain('"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"');
    expect(e.hint).toContain('"token.actions.githubusercontent.com:sub":"repo:acme/apps:ref:refs/heads/main"');
    // The request carried the web identity token, which was masked first; the error does not carry it.
    expect(bodies.join('')).toContain('Action=AssumeRoleWithWebIdentity');
    const token = masked.find((s) => s.split('.').length === 3);
    expect(token).toBeDefined();
    expect(`${e.message} ${e.hint}`).not.toContain(token);
  });
});

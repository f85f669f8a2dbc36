/** The `provider` selection (oci/credentials/cloud.ts) and the AWS provider's input checks: no request is made. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { CloudCredentials, cloudFor, cloudOfHost, parseProviderSetting, type CloudCredentialFactory } from '../../src/oci/index.js';
import { planAws } from '../../src/oci/credentials/aws/index.js';
import { cloudConfig, withScanProviders } from '../../src/publish/index.js';

const mask = () => undefined;

describe('auto: the cloud by registry host', () => {
  it.each([
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'aws'],
    ['public.ecr.aws', 'aws'],
    ['europe-west1-docker.pkg.dev', 'gcp'],
    ['gcr.io', 'gcp'],
    ['eu.gcr.io', 'gcp'],
    ['myregistry.azurecr.io', 'azure'],
    ['myregistry.azurecr.cn', 'azure'],
    ['myregistry.azurecr.us', 'azure'],
    ['myregistry.azurecr.de', 'azure'],
    ['ghcr.io', undefined],
    ['docker.io', undefined],
    ['127.0.0.1:5000', undefined],
    ['evil.com/x.azurecr.io', undefined],
    ['azurecr.io.evil.com', undefined],
    ['dkr.ecr.eu-west-1.amazonaws.com.evil.com', undefined],
  ])('%s → %s', (host, cloud) => {
    expect(cloudOfHost(host)).toBe(cloud);
  });
});

describe('provider setting', () => {
  it('refuses an unknown provider by name, listing the valid ones', () => {
    expect(() => parseProviderSetting('ecr', 'provider')).toThrow(/provider must be one of generic, aws, gcp, azure, auto; got 'ecr'/);
  });

  it('a provider that does not match the host is an input error naming the right one; loopback registries suit any provider', () => {
    expect(() => cloudFor('aws', 'europe-west1-docker.pkg.dev')).toThrow(/provider 'aws' does not match registry 'europe-west1-docker\.pkg\.dev', which is a gcp registry/);
    expect(cloudFor('aws', '127.0.0.1:5000')).toBe('aws');
    expect(cloudFor('auto', 'ghcr.io')).toBeUndefined();
    expect(cloudFor('generic', '123456789012.dkr.ecr.eu-west-1.amazonaws.com')).toBeUndefined();
  });

  it('gcp and azure are "not available in this build" until their folders register, before any request', () => {
    const cloud = new CloudCredentials({ setting: 'auto', inputs: {}, env: {}, mask, providers: new Map() });
    expect(() => cloud.use('europe-west1-docker.pkg.dev')).toThrow(/provider 'gcp' \(registry 'europe-west1-docker\.pkg\.dev'\) is not available in this build/);
    expect(() => cloud.use('myregistry.azurecr.io')).toThrow(/provider 'azure'.*not available in this build/);
    expect(() => new CloudCredentials({ setting: 'gcp', inputs: {}, env: {}, mask, providers: new Map() })).toThrow(/provider 'gcp' is not available in this build/);
  });

  it('a provider input with provider: generic is refused (it would be ignored)', () => {
    expect(() => cloudConfig('generic', (n) => (n === 'aws-role-arn' ? 'arn:aws:iam::123456789012:role/x' : undefined), false)).toThrow(/aws-role-arn is set, but provider is generic/);
    expect(() => cloudConfig(undefined, () => undefined, true, (n) => `--${n}`)).toThrow(/--create-repository is set, but --provider is generic/);
  });

  it('a cloud host never falls back: a provider without credentials is an error, not anonymous', async () => {
    const empty: CloudCredentialFactory = () => ({ get: () => Promise.resolve(undefined) });
    const cloud = new CloudCredentials({ setting: 'aws', inputs: {}, env: {}, mask, providers: new Map([['aws', empty]]) });
    cloud.use('127.0.0.1:5000');
    await expect(cloud.get('127.0.0.1:5000')).rejects.toThrow(/never falls back|returned no credentials/);
    await expect(cloud.get('ghcr.io')).resolves.toBeUndefined();
  });
});

describe('aws inputs (checked before any request)', () => {
  const ctx = (over: Partial<Parameters<typeof planAws>[0]> = {}) => ({
    registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    inputs: { awsRoleArn: 'arn:aws:iam::123456789012:role/d2-push' },
    env: {},
    idToken: () => Promise.resolve('t'),
    ...over,
  });

  it('takes the region and account from the ECR host', () => {
    const plan = planAws(ctx());
    expect(plan).toMatchObject({ region: 'eu-west-1', account: '123456789012', public: false, auth: { kind: 'web-identity', roleArn: 'arn:aws:iam::123456789012:role/d2-push' } });
    expect(planAws(ctx({ registry: 'public.ecr.aws' })).region).toBe('us-east-1');
  });

  it('refuses a role ARN that does not parse, naming the form', () => {
    const err = (() => {
      try {
        planAws(ctx({ inputs: { awsRoleArn: 'arn:aws:iam::12345:user/me' } }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toContain("aws-role-arn 'arn:aws:iam::12345:user/me' is not an IAM role ARN");
    expect((err as InputError).hint).toContain('arn:aws:iam::<12-digit account>:role/<name>');
  });

  it('needs the id-token permission for a role, and names it', () => {
    expect(() => planAws(ctx({ idToken: undefined }))).toThrow(/no OIDC token can be had here/);
  });

  it('without a role and without AWS credentials in the environment: an input error naming aws-role-arn (no metadata probe)', () => {
    expect(() => planAws(ctx({ inputs: {} }))).toThrow(/provider aws needs aws-role-arn/);
    expect(planAws(ctx({ inputs: {}, env: { AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' } })).auth.kind).toBe('environment');
  });

  it('a host without a region needs aws-region', () => {
    expect(() => planAws(ctx({ registry: '127.0.0.1:5000' }))).toThrow(/aws-region is required/);
    expect(() => planAws(ctx({ registry: '127.0.0.1:5000', inputs: { awsRoleArn: 'arn:aws:iam::123456789012:role/x', awsRegion: 'mars' } }))).toThrow(/is not an AWS region/);
  });
});

type ScanRepo = { registry: string; repository: string; provider?: 'generic' | 'aws' | 'gcp' | 'azure' };

describe('image scans (withScanProviders)', () => {
  it('spec.provider assigns the host its cloud; an explicit provider input reaches only its own cloud hosts, never Docker Hub or ghcr.io', async () => {
    const fake: CloudCredentialFactory = () => ({ get: () => Promise.resolve({ username: 'AWS', password: 'ecr-token' }) });
    const cloud = new CloudCredentials({ setting: 'aws', inputs: {}, env: {}, mask, providers: new Map([['aws', fake]]) });
    const listed: string[] = [];
    const registry = withScanProviders({ listTags: (repo: ScanRepo) => (listed.push(repo.registry), Promise.resolve([])) }, cloud);
    await registry.listTags({ registry: 'docker.io', repository: 'library/redis' });
    await registry.listTags({ registry: 'ghcr.io', repository: 'org/app' });
    await registry.listTags({ registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', repository: 'app' });
    await registry.listTags({ registry: '127.0.0.1:5000', repository: 'team/image', provider: 'aws' });
    expect(listed).toHaveLength(4);
    expect(cloud.isCloud('docker.io')).toBe(false);
    expect(cloud.isCloud('ghcr.io')).toBe(false);
    await expect(cloud.get('docker.io')).resolves.toBeUndefined();
    expect(cloud.isCloud('123456789012.dkr.ecr.eu-west-1.amazonaws.com')).toBe(true);
    await expect(cloud.get('127.0.0.1:5000')).resolves.toEqual({ username: 'AWS', password: 'ecr-token' });
  });

  it('spec.provider that does not match the host is an input error before the scan request', async () => {
    const cloud = new CloudCredentials({ setting: 'generic', inputs: {}, env: {}, mask, providers: new Map() });
    let requests = 0;
    const registry = withScanProviders({ listTags: (_repo: ScanRepo) => (requests++, Promise.resolve([])) }, cloud);
    await expect(Promise.resolve().then(() => registry.listTags({ registry: 'europe-west1-docker.pkg.dev', repository: 'p/r/app', provider: 'aws' }))).rejects.toThrow(/spec\.provider 'aws' does not match registry/);
    expect(requests).toBe(0);
  });
});

/**
 * The AWS registry provider (docs/cloud-registries.md "Amazon ECR"): the workflow's OIDC token (audience
 * `sts.amazonaws.com`) → STS AssumeRoleWithWebIdentity → ECR GetAuthorizationToken (ECR Public for public.ecr.aws) →
 * basic auth `AWS:<password>`; without `aws-role-arn`, the ambient credentials in the environment. The inputs and the
 * environment are checked by the factory, synchronously, before any request (./plan.ts); the AWS SDK is loaded only
 * when a token is needed (./ecr.ts), so runs that do not use AWS do not pay for it.
 */
import type { CloudCredentialContext, CloudCredentialFactory, CloudCredentialProvider, Credentials } from '../../../base/index.js';
import { planAws, type AwsPlan } from './plan.js';

export { ECR_PUBLIC_HOST, ECR_PUBLIC_REGION, STS_AUDIENCE, parseEcrHost, planAws } from './plan.js';
export type { AwsAuth, AwsPlan } from './plan.js';

/** The provider: credentials once per run and registry; the SDK is imported on first use. */
export class AwsEcrCredentials implements CloudCredentialProvider {
  private credentials?: Promise<Credentials>;
  private readonly ensured = new Map<string, Promise<void>>();

  constructor(
    private readonly plan: AwsPlan,
    private readonly ctx: CloudCredentialContext,
  ) {}

  get(): Promise<Credentials> {
    if (!this.credentials) {
      this.credentials = import('./ecr.js').then((m) => m.registryCredentials(this.plan, this.ctx));
      this.credentials.catch(() => (this.credentials = undefined));
    }
    return this.credentials;
  }

  ensureRepository(_registry: string, repository: string): Promise<void> {
    let p = this.ensured.get(repository);
    if (!p) {
      p = import('./ecr.js').then((m) => m.ensureRepository(this.plan, this.ctx, repository));
      this.ensured.set(repository, p);
    }
    return p;
  }
}

export const awsCredentialFactory: CloudCredentialFactory = (ctx) => new AwsEcrCredentials(planAws(ctx), ctx);

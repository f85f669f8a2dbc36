/**
 * moto's server (PyPI `moto[server]`), the AWS stand-in of the cloud registry tests: STS (AssumeRoleWithWebIdentity)
 * and ECR (GetAuthorizationToken, DescribeRepositories, CreateRepository) on 127.0.0.1, on a free port, stopped by PID.
 * scripts/setup.sh installs it into a virtual environment under .tools/ (`D2_MOTO_SERVER` names the binary);
 * `motoServer()` is undefined when it is not installed, and the tests that need it skip, saying why.
 *
 * moto does not check the web identity token (AWS does: signature, issuer, audience, expiry); the provider refuses a
 * token with the wrong audience or past its expiry before sending it. moto's ECR token for account A is always
 * `AWS:<A>-auth-token` (`ecrPassword`), so a distribution registry with that htpasswd user accepts exactly it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';
import { freePort, ManagedProcess, waitFor } from './process.js';

/** The account moto's default credentials and our test role live in. */
export const MOTO_ACCOUNT = '123456789012';
export const MOTO_ROLE_ARN = `arn:aws:iam::${MOTO_ACCOUNT}:role/d2-push`;

/** The password of moto's ECR authorization token for `account`. */
export function ecrPassword(account = MOTO_ACCOUNT): string {
  return `${account}-auth-token`;
}

/** The moto_server binary set up by scripts/setup.sh, or undefined when it is not installed. */
export function motoServer(): string | undefined {
  const fromEnv = process.env.D2_MOTO_SERVER;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const tools = join(repoRoot(), '.tools');
  if (!existsSync(tools)) return undefined;
  for (const d of readdirSync(tools).filter((n) => n.startsWith('moto-')).sort().reverse()) {
    const bin = join(tools, d, 'bin', 'moto_server');
    if (existsSync(join(tools, d, '.d2-complete')) && existsSync(bin)) return bin;
  }
  return undefined;
}

export const MOTO_MISSING = 'moto is not installed (run `. scripts/setup.sh`; it installs moto[server] into .tools/ when python3 with venv is available)';

export interface SandboxMoto {
  url: string;
  /** The standard AWS SDK settings that point STS and ECR at moto, with a region. */
  env(region?: string): Record<string, string>;
  stop(): Promise<void>;
}

export async function startMoto(): Promise<SandboxMoto> {
  const bin = motoServer();
  if (!bin) throw new Error(MOTO_MISSING);
  const port = await freePort();
  const proc = ManagedProcess.start('moto', bin, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, MOTO_ALLOW_NONEXISTENT_REGION: 'false' },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('moto', async () => (await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(2000) })).ok, 30_000, proc);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    url,
    env: (region = 'us-east-1') => ({
      AWS_ENDPOINT_URL_STS: url,
      AWS_ENDPOINT_URL_ECR: url,
      AWS_ENDPOINT_URL_ECR_PUBLIC: url,
      AWS_REGION: region,
      // Never the real shared config or a metadata service.
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
    }),
    stop: () => proc.stop(),
  };
}

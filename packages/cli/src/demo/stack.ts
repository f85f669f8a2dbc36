/**
 * The local real stack of `d2 demo` (packages/sandbox): the CNCF distribution registry (unless --registry names one),
 * the Sigstore stand-in (Fulcio with a CT log, Rekor v1), the Actions-like OIDC endpoint, the git remotes and the
 * GitHub API emulator — all on 127.0.0.1 with free ports, stopped in reverse order.
 */
import { InputError } from '@d2/core';
import { startGitHubEmulator, type GitHubEmulator } from '@d2/sandbox/github-emulator';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { startOidc, type SandboxOidc } from '@d2/sandbox/oidc';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { startSigstore, type SandboxSigstore } from '@d2/sandbox/sigstore';
import { checkRegistryFlag } from './registry-flag.js';

export { checkRegistryFlag };

export interface DemoStack {
  /** HOST:PORT of the registry. */
  registry: string;
  /** The sandbox registry, when the demo started it (undefined with --registry). */
  ownRegistry?: SandboxRegistry;
  sigstore: SandboxSigstore;
  oidc: SandboxOidc;
  git: SandboxGitServer;
  github: GitHubEmulator;
  stop(): Promise<void>;
}

/** Anonymous GET /v2/ must answer 200 (the demo pushes without credentials). */
async function probeRegistry(host: string): Promise<void> {
  let status: number;
  try {
    const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(5000) });
    status = res.status;
    await res.arrayBuffer();
  } catch (err) {
    throw new InputError(`no registry answers at http://${host}/v2/ (${(err as Error).message})`, 'start one (e.g. docker-registry serve config.yml) or leave out --registry');
  }
  if (status !== 200) throw new InputError(`the registry at ${host} answered ${status} to an anonymous GET /v2/`, 'the demo needs an anonymous registry');
}

export async function startStack(opts: { registry?: string } = {}): Promise<DemoStack> {
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const s of stoppers.reverse()) await s().catch(() => undefined);
    stoppers.length = 0;
  };
  try {
    let registry: string;
    let ownRegistry: SandboxRegistry | undefined;
    if (opts.registry) {
      registry = checkRegistryFlag(opts.registry);
      await probeRegistry(registry);
    } else {
      ownRegistry = await startRegistry({ auth: 'anonymous' });
      stoppers.push(() => ownRegistry!.stop());
      registry = ownRegistry.host;
    }
    const sigstore = await startSigstore();
    stoppers.push(() => sigstore.stop());
    const oidc = await startOidc();
    stoppers.push(() => oidc.stop());
    const git = await startGitServer();
    stoppers.push(() => git.stop());
    const github = await startGitHubEmulator({ git });
    stoppers.push(() => github.stop());
    return { registry, ownRegistry, sigstore, oidc, git, github, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

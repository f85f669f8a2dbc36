import { runCli, type Io } from '../../cli.js';
import { verifyCommand } from '../../commands/verify.js';
import { verifyAttestationCommand } from '../../commands/verify-attestation.js';
import { short, StepFailure, type DemoStep } from '../context.js';
import { tempDir } from '../git.js';

/**
 * 5. Every artifact verified as a D2 cluster would (`d2 verify` with the staging identity for latest, the production
 * identity for latest-stable, from the fleet's runtime-info); wrong identities must be rejected.
 */
export const verifyStep: DemoStep = {
  title: 'verify every artifact as a D2 cluster would (staging: latest, production: latest-stable); wrong identities rejected',
  async run(ctx, s) {
    const { reg, fleetName, appsName, infraName, client, report, work, pushActions, staging, production, issuerRegExp, subjectFor, trustedRoot, identities } = ctx;
    const sources = [appsName, infraName, fleetName];
    const artifactRepos: { repository: string; source: string; component: string }[] = [];
    for (const a of pushActions) {
      const names = new Set(report.pushes.filter((p) => p.repository.startsWith(`${reg}/${a.repo}`)).map((p) => `${p.repository}\u0000${p.component}`));
      for (const n of names) {
        const [repository, component] = n.split('\u0000');
        artifactRepos.push({ repository, source: a.repo, component });
      }
    }
    // The final registry state: every tagged digest of every artifact repository.
    for (const ar of artifactRepos) {
      const repo = { registry: reg, repository: ar.repository.slice(reg.length + 1) };
      const tags = (await client.listTags(repo)).filter((t) => !/^sha256-[0-9a-f]{64}/.test(t));
      const byDigest = new Map<string, string[]>();
      for (const t of tags) {
        const d = (await client.headManifest(repo, t))?.digest;
        if (d) byDigest.set(d, [...(byDigest.get(d) ?? []), t]);
      }
      for (const [digest, ts] of byDigest) {
        const sigTag = `sha256-${digest.slice(7)}.sig`;
        const sig = (await client.headManifest(repo, sigTag)) ? `${ar.repository}:${sigTag}` : null;
        report.artifacts.push({ repository: ar.repository, source: ar.source, component: ar.component, digest, tags: ts.sort(), signature: sig, verifiedAs: [] });
      }
    }
    const plan: { name: string; tag: string; sources: string[]; subject: (repo: string) => string; expected: 'verified' | 'rejected' }[] = [
      {
        name: 'staging',
        tag: staging.ARTIFACT_TAG ?? 'latest',
        sources,
        subject: (repo) => subjectFor(repo, staging.ARTIFACT_SUBJECT_WORKFLOW ?? 'push-artifact', staging.ARTIFACT_SUBJECT_GIT_REF ?? 'refs/heads/main'),
        expected: 'verified',
      },
      {
        name: 'production',
        tag: production.ARTIFACT_TAG ?? 'latest-stable',
        sources,
        subject: (repo) => subjectFor(repo, production.ARTIFACT_SUBJECT_WORKFLOW ?? 'release-artifact', production.ARTIFACT_SUBJECT_GIT_REF ?? 'refs/tags/.*'),
        expected: 'verified',
      },
      // latest-stable was signed by the release workflow: the push workflow's identity must not pass for it.
      {
        name: 'wrong-workflow',
        tag: production.ARTIFACT_TAG ?? 'latest-stable',
        sources,
        subject: (repo) => subjectFor(repo, staging.ARTIFACT_SUBJECT_WORKFLOW ?? 'push-artifact', staging.ARTIFACT_SUBJECT_GIT_REF ?? 'refs/heads/main'),
        expected: 'rejected',
      },
      // Another repository's workflow must not pass for d2-apps' artifacts.
      { name: 'wrong-repository', tag: 'latest', sources: [appsName], subject: () => subjectFor('d2-infra', 'push-artifact', 'refs/heads/main'), expected: 'rejected' },
    ];
    const isolated = await tempDir('d2-demo-docker-', work);
    for (const p of plan) {
      const used = new Set<string>();
      for (const art of report.artifacts.filter((x) => p.sources.includes(x.source) && x.tags.includes(p.tag))) {
        const subjectRegExp = p.subject(art.source.split('/')[1]);
        used.add(art.source);
        const reference = `oci://${art.repository}:${p.tag}`;
        const v = await dVerify(reference, subjectRegExp, issuerRegExp, trustedRoot, { DOCKER_CONFIG: isolated });
        const ok = v.result === p.expected;
        if (v.result === 'verified') art.verifiedAs.push(p.name);
        report.verifications.push({ repository: art.repository, reference, digest: art.digest, identity: p.name, subjectRegExp, issuerRegExp, expected: p.expected, result: v.result, ok, message: v.message });
        s.details.push(`${ok ? '✓' : '✗'} ${p.name.padEnd(16)} ${art.repository.slice(reg.length + 1)}:${p.tag} ${v.result}${v.result === 'verified' ? ` (${v.message.split(' ')[0]})` : `: ${v.message.split('\n')[0].slice(0, 110)}`}`);
      }
      if (used.size) {
        identities.identities.push({
          name: p.name,
          tag: p.tag,
          expected: p.expected,
          issuerRegExp,
          subjects: [...used].map((repository) => ({ repository, subjectRegExp: p.subject(repository.split('/')[1]) })),
        });
      }
    }
    // The fleet release's attestations, verified with the production identity as `cosign verify-attestation` would.
    for (const a of report.attestations ?? []) {
      const type = a.type === 'provenance' ? 'slsaprovenance' : a.predicateType;
      const subjectRegExp = subjectFor(fleetName.split('/')[1], production.ARTIFACT_SUBJECT_WORKFLOW ?? 'release-artifact', production.ARTIFACT_SUBJECT_GIT_REF ?? 'refs/tags/.*');
      const v = await dVerifyAttestation(`oci://${a.repository}@${a.digest}`, type, subjectRegExp, issuerRegExp, trustedRoot, { DOCKER_CONFIG: isolated });
      a.verified = v.ok;
      a.message = v.message;
      s.details.push(`${v.ok ? '✓' : '✗'} attestation    ${a.repository.slice(reg.length + 1)}@${short(a.digest)} ${a.type}: ${v.message.split('\n')[0].slice(0, 110)}`);
      if (!v.ok) throw new StepFailure(`the ${a.type} attestation of ${a.repository}@${a.digest} does not verify: ${v.message.split('\n')[0]}`);
    }
    const bad = report.verifications.filter((v) => !v.ok);
    if (bad.length) throw new StepFailure(`${bad.length} verification(s) did not give the expected result: ${bad.map((b) => `${b.identity} ${b.reference}`).join(', ')}`);
    if (!report.verifications.some((v) => v.identity === 'production' && v.result === 'verified')) throw new StepFailure('no latest-stable artifact was verified with the production identity');
    if (!report.verifications.some((v) => v.expected === 'rejected')) throw new StepFailure('no wrong identity was tried');
    const unsigned = report.artifacts.filter((a) => !a.signature);
    if (unsigned.length) throw new StepFailure(`unsigned artifacts: ${unsigned.map((a) => `${a.repository}@${short(a.digest)}`).join(', ')}`);
  },
};

/** `d2 verify` in-process (the same command users run), with its JSON result or its error. */
export async function dVerify(
  reference: string,
  subjectRegExp: string,
  issuerRegExp: string,
  trustedRoot: string,
  env: Record<string, string>,
): Promise<{ result: 'verified' | 'rejected' | 'error'; message: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (x) => void (out += x), stderr: (x) => void (err += x), env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } };
  const code = await runCli(
    [verifyCommand],
    ['verify', reference, '--certificate-identity-regexp', subjectRegExp, '--certificate-oidc-issuer-regexp', issuerRegExp, '--trusted-root', trustedRoot, '-o', 'json'],
    'demo',
    io,
  );
  if (code === 0) {
    const r = JSON.parse(out) as { identity?: string; logIndex?: number; format?: string };
    return { result: 'verified', message: `${r.format ?? '?'} signature of ${r.identity ?? ''} (Rekor ${r.logIndex ?? '?'})` };
  }
  const message = err.replace(/^✗ d2 verify: /, '').trim();
  return { result: /signature verification failed/.test(message) ? 'rejected' : 'error', message };
}

/** `d2 verify-attestation` in-process, with the predicate type it verified or its error. */
async function dVerifyAttestation(
  reference: string,
  type: string,
  subjectRegExp: string,
  issuerRegExp: string,
  trustedRoot: string,
  env: Record<string, string>,
): Promise<{ ok: boolean; message: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (x) => void (out += x), stderr: (x) => void (err += x), env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } };
  const code = await runCli(
    [verifyAttestationCommand],
    ['verify-attestation', reference, '--type', type, '--certificate-identity-regexp', subjectRegExp, '--certificate-oidc-issuer-regexp', issuerRegExp, '--trusted-root', trustedRoot, '-o', 'json'],
    'demo',
    io,
  );
  if (code !== 0) return { ok: false, message: err.trim() };
  const r = JSON.parse(out) as { attestations: { predicateType: string; identity: string; logIndex: number }[] };
  return { ok: true, message: `${r.attestations[0].predicateType} by ${r.attestations[0].identity} (Rekor ${r.attestations[0].logIndex})` };
}

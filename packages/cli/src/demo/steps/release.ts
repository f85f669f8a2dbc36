import { runAction } from '../actions.js';
import { ms, short, StepFailure, type DemoStep } from '../context.js';
import { checkout, pushTag } from '../git.js';

const RELEASE_TAG = 'frontend/v1.0.0';
/** The fleet is released as a whole (release-artifact mode: fleet): production clusters sync d2-fleet:latest-stable. */
const FLEET_TAG = 'v1.0.0';
/**
 * The attestations of the fleet release. `sbom` joins once the composition root wires the SBOM generator (until then
 * the actions refuse it as unavailable): make this 'provenance,sbom'.
 */
export const FLEET_ATTESTATIONS = 'provenance,sbom';

/**
 * 2. release-artifact for frontend/v1.0.0 (latest-stable moves to the release digest, signed with the release workflow
 * identity), then the fleet released as a whole from a plain version tag (mode: fleet).
 */
export const releaseStep: DemoStep = {
  title: `release-artifact for ${RELEASE_TAG} (latest-stable moves, release workflow identity)`,
  async run(ctx, s) {
    const { reg, fleetName, appsName, authUrl, client, report, work, stack, sigstoreInputs } = ctx;
    const sha = await pushTag(authUrl(appsName), RELEASE_TAG, work);
    report.commits.push({ repository: appsName, branch: `refs/tags/${RELEASE_TAG}`, sha, kind: 'release-tag', tag: RELEASE_TAG });
    const repository = `${reg}/${appsName}/frontend`;
    const repo = { registry: reg, repository: `${appsName}/frontend` };
    const before = (await client.headManifest(repo, 'latest-stable'))?.digest ?? null;
    const { dir } = await checkout(authUrl(appsName), RELEASE_TAG, work);
    const ref = `refs/tags/${RELEASE_TAG}`;
    const workflow = { repository: appsName, workflow: '.github/workflows/release-artifact.yaml', ref, sha };
    const run = await runAction(ctx, 2, 'release-artifact', appsName, {
      workspace: dir,
      ref,
      sha,
      inputs: { repository: `${reg}/${appsName}/{component}`, path: 'components/{component}', ...sigstoreInputs },
      env: { ...stack.oidc.envFor(workflow) },
    });
    const after = (await client.headManifest(repo, 'latest-stable'))?.digest ?? null;
    const version = (await client.headManifest(repo, 'v1.0.0'))?.digest ?? null;
    const digest = run.outputs.digest ?? '';
    report.release = {
      repository,
      component: run.outputs.component ?? '',
      version: run.outputs.version ?? '',
      tag: RELEASE_TAG,
      digest,
      stableBefore: before,
      stableAfter: after,
      moved: after !== null && after !== before && after === digest,
      signature: run.outputs.signature ?? '',
      certificateIdentity: run.outputs['certificate-identity'] ?? '',
    };
    report.pushes.push({ step: 2, pass: 'release', repository, component: 'frontend', pushed: true, digest, tags: (run.outputs.tags ?? '').split(',').filter(Boolean), signature: run.outputs.signature ?? '' });
    s.details.push(`frontend ${run.outputs.version} → ${short(digest)}; latest-stable ${before ? short(before) : '(none)'} → ${after ? short(after) : '(none)'} (${ms(run.durationMs)})`);
    s.details.push(`signed by ${run.outputs['certificate-identity'] ?? '?'}`);
    if (!report.release.moved) throw new StepFailure(`latest-stable did not move to ${digest} (it is ${after ?? 'missing'})`);
    if (version !== digest) throw new StepFailure(`the version tag v1.0.0 points at ${version ?? 'nothing'}, not ${digest}`);
    if (!report.release.signature) throw new StepFailure('the release was not signed');

    // The fleet repository: production clusters sync d2-fleet:latest-stable, released from a plain version tag.
    const fleetSha = await pushTag(authUrl(fleetName), FLEET_TAG, work);
    report.commits.push({ repository: fleetName, branch: `refs/tags/${FLEET_TAG}`, sha: fleetSha, kind: 'release-tag', tag: FLEET_TAG });
    const { dir: fleetDir } = await checkout(authUrl(fleetName), FLEET_TAG, work);
    const fleetRef = `refs/tags/${FLEET_TAG}`;
    const fleetRun = await runAction(ctx, 2, 'release-artifact', fleetName, {
      workspace: fleetDir,
      ref: fleetRef,
      sha: fleetSha,
      inputs: { mode: 'fleet', repository: `${reg}/${fleetName}`, path: '.', attestations: FLEET_ATTESTATIONS, ...sigstoreInputs },
      env: { ...stack.oidc.envFor({ repository: fleetName, workflow: '.github/workflows/release-artifact.yaml', ref: fleetRef, sha: fleetSha }) },
    });
    const fleetRepoRef = { registry: reg, repository: fleetName };
    const fleetStable = (await client.headManifest(fleetRepoRef, 'latest-stable'))?.digest ?? null;
    const fleetDigest = fleetRun.outputs.digest ?? '';
    report.pushes.push({ step: 2, pass: 'release', repository: `${reg}/${fleetName}`, component: '', pushed: true, digest: fleetDigest, tags: (fleetRun.outputs.tags ?? '').split(',').filter(Boolean), signature: fleetRun.outputs.signature ?? '' });
    s.details.push(`d2-fleet ${FLEET_TAG} (mode: fleet) → ${short(fleetDigest)}; latest-stable → ${fleetStable ? short(fleetStable) : '(none)'} (${ms(fleetRun.durationMs)})`);
    if (!fleetDigest || fleetStable !== fleetDigest) throw new StepFailure(`d2-fleet latest-stable is ${fleetStable ?? 'missing'}, not the fleet release ${fleetDigest || '(none)'}`);
    if (!fleetRun.outputs.signature) throw new StepFailure('the fleet release was not signed');
    const attestations = JSON.parse(fleetRun.outputs.attestations || '[]') as { type: string; 'predicate-type': string; 'referrer-digest': string; 'rekor-log-index': number }[];
    report.attestations = attestations.map((a) => ({
      repository: `${reg}/${fleetName}`,
      digest: fleetDigest,
      type: a.type,
      predicateType: a['predicate-type'],
      referrerDigest: a['referrer-digest'],
      rekorLogIndex: a['rekor-log-index'],
    }));
    s.details.push(`d2-fleet attested: ${attestations.map((a) => `${a.type} (${short(a['referrer-digest'])}, Rekor ${a['rekor-log-index']})`).join(', ') || 'nothing'}`);
    const missing = FLEET_ATTESTATIONS.split(',').filter((t) => !attestations.some((a) => a.type === t));
    if (missing.length) throw new StepFailure(`the fleet release has no ${missing.join(', ')} attestation`);
  },
};

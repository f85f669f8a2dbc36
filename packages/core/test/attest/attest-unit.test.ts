/**
 * The pure parts of attestations (docs/attestations.md): the OpenVEX v0.2.0 rules, the provenance of a GitHub Actions
 * run in the shape of actions/attest-build-provenance, the in-toto statement, the input parsing and the cosign line.
 */
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cosignVerifyAttestationLine,
  githubProvenance,
  githubProvenanceBuilder,
  inTotoStatement,
  openVexProblems,
  parseAttestationConfig,
  parseAttestationTypes,
  parseSbomFormat,
  resolveProvenanceBuilder,
} from '../../src/attest/index.js';
import { D2Error, InputError } from '../../src/errors.js';
import { openVexDocument } from './helpers.js';

const CLAIMS = {
  repository: 'acme/fleet',
  ref: 'refs/tags/v1.2.3',
  sha: 'c'.repeat(40),
  workflow_ref: 'acme/fleet/.github/workflows/release.yaml@refs/tags/v1.2.3',
  job_workflow_ref: 'acme/shared/.github/workflows/publish.yaml@refs/heads/main',
  event_name: 'push',
  repository_id: '42',
  repository_owner_id: '7',
  runner_environment: 'github-hosted',
  run_id: '123456',
  run_attempt: '2',
};

describe('OpenVEX v0.2.0', () => {
  it('accepts a complete document', () => {
    expect(openVexProblems(openVexDocument())).toEqual([]);
  });

  it('names every violation with its path', () => {
    const doc = openVexDocument();
    doc['@context'] = 'https://example.invalid/ns';
    delete doc.author;
    doc.version = 0;
    doc.timestamp = 'yesterday';
    doc.statements = [
      { vulnerability: {}, status: 'not_affected', products: [{ name: 'x' }] },
      { vulnerability: { name: 'CVE-1' }, status: 'affected' },
      { vulnerability: { name: 'CVE-2' }, status: 'not_affected', justification: 'it_is_fine' },
      { vulnerability: { name: 'CVE-3' }, status: 'broken' },
    ];
    expect(openVexProblems(doc)).toEqual([
      `@context must be 'https://openvex.dev/ns/v0.2.0', got "https://example.invalid/ns"`,
      'author is required',
      'timestamp must be an RFC 3339 date-time',
      'version must be an integer >= 1',
      'statements[0].vulnerability.name is required (e.g. a CVE id)',
      'statements[0]: status not_affected needs a justification or an impact_statement',
      'statements[0].products[0] needs an @id or identifiers',
      'statements[1]: status affected needs an action_statement',
      'statements[2].justification must be one of component_not_present, vulnerable_code_not_present, vulnerable_code_not_in_execute_path, vulnerable_code_cannot_be_controlled_by_adversary, inline_mitigations_already_exist',
      'statements[3].status must be one of not_affected, affected, fixed, under_investigation, got "broken"',
    ]);
    expect(openVexProblems([])).toEqual(['the document is not a JSON object']);
    expect(openVexProblems({ ...openVexDocument(), statements: [] })).toEqual(['statements must be a non-empty array']);
  });

  it('an impact_statement replaces the justification; fixed and under_investigation need neither', () => {
    const doc = openVexDocument();
    doc.statements = [
      { vulnerability: { name: 'CVE-1' }, status: 'not_affected', impact_statement: 'not reachable' },
      { vulnerability: { name: 'CVE-2' }, status: 'fixed' },
      { vulnerability: { name: 'CVE-3' }, status: 'under_investigation', products: [{ identifiers: { purl: 'pkg:oci/x' } }] },
    ];
    expect(openVexProblems(doc)).toEqual([]);
  });
});

describe('provenance', () => {
  it('is the actions/attest-build-provenance predicate of the run', () => {
    expect(githubProvenance(CLAIMS, 'https://github.com')).toEqual({
      buildDefinition: {
        buildType: 'https://actions.github.io/buildtypes/workflow/v1',
        externalParameters: { workflow: { ref: 'refs/tags/v1.2.3', repository: 'https://github.com/acme/fleet', path: '.github/workflows/release.yaml' } },
        internalParameters: { github: { event_name: 'push', repository_id: '42', repository_owner_id: '7', runner_environment: 'github-hosted' } },
        resolvedDependencies: [{ uri: 'git+https://github.com/acme/fleet@refs/tags/v1.2.3', digest: { gitCommit: 'c'.repeat(40) } }],
      },
      runDetails: {
        builder: { id: 'https://github.com/acme/shared/.github/workflows/publish.yaml@refs/heads/main' },
        metadata: { invocationId: 'https://github.com/acme/fleet/actions/runs/123456/attempts/2' },
      },
    });
  });

  it('a token without a needed claim is an error naming it', () => {
    const { run_id: _drop, ...claims } = CLAIMS;
    expect(() => githubProvenance(claims)).toThrow(/no 'run_id' claim/);
  });

  it('GitHub Actions has a builder (with its server URL); elsewhere provenance is an input error', () => {
    expect(githubProvenanceBuilder({ GITHUB_ACTIONS: 'true', GITHUB_SERVER_URL: 'https://ghe.example.invalid/' })?.predicate(CLAIMS)).toMatchObject({
      runDetails: { metadata: { invocationId: 'https://ghe.example.invalid/acme/fleet/actions/runs/123456/attempts/2' } },
    });
    expect(resolveProvenanceBuilder({ GITHUB_ACTIONS: 'true' }).ci).toBe('GitHub Actions');
    expect(() => resolveProvenanceBuilder({ GITLAB_CI: 'true' })).toThrow(InputError);
  });
});

describe('statement', () => {
  it('names the repository and the manifest digest as the only subject', () => {
    const digest = `sha256:${'d'.repeat(64)}`;
    const st = JSON.parse(inTotoStatement({ registry: 'docker.io', repository: 'acme/app' }, digest, 'https://example.invalid/p', { a: 1 }).toString()) as unknown;
    expect(st).toEqual({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'index.docker.io/acme/app', digest: { sha256: 'd'.repeat(64) } }], predicateType: 'https://example.invalid/p', predicate: { a: 1 } });
    expect(() => inTotoStatement({ registry: 'r', repository: 'x' }, 'sha256:nope', 't', {})).toThrow(D2Error);
  });
});

describe('inputs', () => {
  const ws = mkdtempSync(join(tmpdir(), 'd2-attest-unit-'));
  writeFileSync(join(ws, 'vex.json'), JSON.stringify(openVexDocument()));

  it('parses the list (order kept, duplicates dropped) and refuses an unknown type', () => {
    expect(parseAttestationTypes(['sbom', 'provenance', 'sbom'])).toEqual(['sbom', 'provenance']);
    expect(() => parseAttestationTypes(['provenance', 'slsa'], '--attestations')).toThrow("--attestations: unknown attestation type 'slsa'");
    expect(parseSbomFormat(undefined)).toBe('cyclonedx');
    expect(() => parseSbomFormat('swid')).toThrow(InputError);
  });

  it('reads and validates the VEX document; refuses vex without path, a path without vex, and attestations without signing', () => {
    expect(parseAttestationConfig({ attestations: [], workspace: ws, signing: false })).toBeUndefined();
    expect(parseAttestationConfig({ attestations: ['vex', 'provenance'], vexPath: 'vex.json', workspace: ws, signing: true })).toMatchObject({
      types: ['vex', 'provenance'],
      sbomFormat: 'cyclonedx',
      vexPath: join(ws, 'vex.json'),
      vex: { author: 'D2 test' },
    });
    expect(() => parseAttestationConfig({ attestations: ['vex'], workspace: ws, signing: true })).toThrow(/includes vex but vex-path is empty/);
    expect(() => parseAttestationConfig({ attestations: ['sbom'], vexPath: 'vex.json', workspace: ws, signing: true })).toThrow(/vex-path is set but attestations does not include vex/);
    expect(() => parseAttestationConfig({ attestations: ['sbom'], workspace: ws, signing: false })).toThrow(/needs signing/);
    expect(() => parseAttestationConfig({ attestations: ['vex'], vexPath: '../outside.json', workspace: ws, signing: true })).toThrow(/outside the workspace/);
    expect(() => parseAttestationConfig({ attestations: ['vex'], vexPath: 'missing.json', workspace: ws, signing: true })).toThrow(/does not exist/);
    const outside = mkdtempSync(join(tmpdir(), 'd2-attest-outside-'));
    writeFileSync(join(outside, 'vex.json'), JSON.stringify(openVexDocument()));
    symlinkSync(join(outside, 'vex.json'), join(ws, 'link.json'));
    expect(() => parseAttestationConfig({ attestations: ['vex'], vexPath: 'link.json', workspace: ws, signing: true })).toThrow(/leads outside the workspace/);
  });

  it('the cosign line selects OpenVEX v0.2.0 by URI and quotes for the shell', () => {
    expect(cosignVerifyAttestationLine('r/x@sha256:1', 'https://openvex.dev/ns/v0.2.0', "^a'b$", '^i$')).toBe(
      `cosign verify-attestation --type 'https://openvex.dev/ns/v0.2.0' --certificate-identity-regexp '^a'\\''b$' --certificate-oidc-issuer-regexp '^i$' 'r/x@sha256:1'`,
    );
    expect(cosignVerifyAttestationLine('r', 'https://slsa.dev/provenance/v1', 'a', 'b')).toContain("--type 'slsaprovenance1'");
    expect(cosignVerifyAttestationLine('r', 'https://spdx.dev/Document', 'a', 'b')).toContain("--type 'spdxjson'");
  });
});

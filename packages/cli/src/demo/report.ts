/** The shape of `DIR/report.json` written by `d2 demo` (docs/cli.md "d2 demo"). */

export interface StepReport {
  id: number;
  title: string;
  ok: boolean;
  durationMs: number;
  /** Human-readable lines (also printed). */
  details: string[];
  error?: string;
}

/** One action run through its committed bundle (actions/<name>/dist/index.cjs). */
export interface ActionRunReport {
  step: number;
  action: string;
  /** GitHub repository the workflow ran in (owner/name). */
  repository: string;
  ref: string;
  sha: string;
  exitCode: number;
  durationMs: number;
  outputs: Record<string, string>;
  errors: string[];
}

/** One artifact publication seen in an action's `artifacts` output. */
export interface PushReport {
  step: number;
  /** first | unchanged | release | after-merge */
  pass: string;
  repository: string;
  component: string;
  pushed: boolean;
  digest: string;
  tags: string[];
  /** The `.sig` reference written in this run ('' when the digest was already signed). */
  signature: string;
}

/** The final registry state of an artifact repository: one entry per digest that carries tags. */
export interface ArtifactReport {
  /** host/path */
  repository: string;
  /** The git repository it is built from (owner/name). */
  source: string;
  component: string;
  digest: string;
  tags: string[];
  /** `host/path:sha256-<hex>.sig` when the legacy signature exists, else null. */
  signature: string | null;
  /** Identities whose verification passed for this digest (step 5). */
  verifiedAs: string[];
}

export interface CommitReport {
  repository: string;
  branch: string;
  sha: string;
  kind: 'initial' | 'release-tag' | 'image-update' | 'merge';
  subject?: string;
  tag?: string;
}

export interface PullRequestReport {
  repository: string;
  number: number;
  url: string;
  operation: string;
  headSha: string;
  merged: boolean;
  mergeCommitSha?: string;
}

export interface ReleaseReport {
  repository: string;
  component: string;
  version: string;
  tag: string;
  digest: string;
  stableBefore: string | null;
  stableAfter: string | null;
  moved: boolean;
  signature: string;
  certificateIdentity: string;
}

export interface MergeReport {
  repository: string;
  component: string;
  before: string;
  after: string;
  changed: boolean;
  /** The merged image updates touched this component. */
  expectedChange: boolean;
}

export interface VerificationReport {
  repository: string;
  reference: string;
  digest: string;
  /** staging | production | wrong-workflow | wrong-repository */
  identity: string;
  subjectRegExp: string;
  issuerRegExp: string;
  expected: 'verified' | 'rejected';
  result: 'verified' | 'rejected' | 'error';
  ok: boolean;
  message: string;
}

/** Step 6: one branch per component (group-by component), written through the GitHub API (commit-via api). */
export interface GroupedUpdateReport {
  repository: string;
  group: string;
  branch: string;
  sha: string;
  /** GitHub signed the commit (Verified). */
  verified: boolean;
  /** Files that differ between main and the branch. */
  files: string[];
  pullRequest?: { number: number; url: string; operation: string };
}

export interface DemoReport {
  version: 1;
  ok: boolean;
  startedAt: string;
  durationMs: number;
  owner: string;
  registry: string;
  sandbox: Record<string, string>;
  steps: StepReport[];
  runs: ActionRunReport[];
  pushes: PushReport[];
  artifacts: ArtifactReport[];
  commits: CommitReport[];
  pullRequests: PullRequestReport[];
  release?: ReleaseReport;
  merges: MergeReport[];
  verifications: VerificationReport[];
  /** Step 6: the grouped, verified image updates and their pull requests. */
  groupedUpdates: GroupedUpdateReport[];
  /** The attestations of the fleet release and their verification in step 5 (docs/attestations.md). */
  attestations?: AttestationReport[];
}

export interface AttestationReport {
  repository: string;
  digest: string;
  type: string;
  predicateType: string;
  referrerDigest: string;
  rekorLogIndex: number;
  /** `d2 verify-attestation` with the production identity (step 5). */
  verified?: boolean;
  message?: string;
}

export interface IdentitiesFile {
  issuerRegExp: string;
  identities: {
    /** staging | production | wrong-workflow | wrong-repository */
    name: string;
    /** The tag verified with this identity (the cluster's ARTIFACT_TAG). */
    tag: string;
    expected: 'verified' | 'rejected';
    issuerRegExp: string;
    /** One subject regex per source repository (Flux matchOIDCIdentity.subject). */
    subjects: { repository: string; subjectRegExp: string }[];
  }[];
}

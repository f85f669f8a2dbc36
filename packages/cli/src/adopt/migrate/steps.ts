/**
 * What `d2 migrate` recognises in a D2 workflow job (docs/adopt.md "d2 migrate"): each step of the reference
 * workflows gets a role, from its `uses:` or its `run:` script. Anything else is `other`: kept, and reported.
 */

export type StepRole =
  | 'checkout'
  | 'flux-setup'
  | 'cosign-setup'
  | 'helm-setup'
  | 'registry-login'
  | 'distribution-push'
  | 'cosign-sign'
  | 'gh-pr-create'
  | 'kind'
  | 'kind-bootstrap'
  | 'kubectl'
  | 'other';

export interface StepInfo {
  /** The step as plain data. */
  data: Record<string, unknown>;
  role: StepRole;
  /** How the report names it: its name, else its uses, else the first line of its script. */
  label: string;
}

const usesStarts = (uses: string, prefixes: string[]) => prefixes.some((p) => uses === p || uses.startsWith(`${p}@`) || uses.startsWith(`${p}/`));

/** The script of a run step with backslash continuations joined and comments and blank lines removed. */
export function commands(run: string): string[] {
  return run
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

export function classifyStep(data: Record<string, unknown>): StepInfo {
  const uses = typeof data.uses === 'string' ? data.uses : '';
  const run = typeof data.run === 'string' ? data.run : '';
  const label = typeof data.name === 'string' ? data.name : uses || commands(run)[0] || '(empty step)';
  const role = ((): StepRole => {
    if (uses) {
      if (usesStarts(uses, ['actions/checkout'])) return 'checkout';
      if (usesStarts(uses, ['controlplaneio-fluxcd/distribution/actions/setup', 'fluxcd/flux2/action'])) return 'flux-setup';
      if (usesStarts(uses, ['sigstore/cosign-installer'])) return 'cosign-setup';
      if (usesStarts(uses, ['fluxcd/pkg/actions/helm', 'azure/setup-helm'])) return 'helm-setup';
      if (usesStarts(uses, ['docker/login-action'])) return 'registry-login';
      if (usesStarts(uses, ['controlplaneio-fluxcd/distribution/actions/push'])) return 'distribution-push';
      if (usesStarts(uses, ['helm/kind-action'])) return 'kind';
      return 'other';
    }
    const cmds = commands(run);
    if (cmds.length === 1 && /^cosign\s+sign\s+(--yes\s+|-y\s+)?("?\$\{?[A-Z_]+\}?"?|\S+@sha256:\S+)$/.test(cmds[0])) return 'cosign-sign';
    if (cmds.length === 1 && /^gh\s+pr\s+create(\s|$)/.test(cmds[0])) return 'gh-pr-create';
    if (cmds.length > 0 && cmds.every((c) => /^make\s+bootstrap-[\w-]+$/.test(c))) return 'kind-bootstrap';
    if (cmds.length > 0 && /\b(kubectl|flux)\s/.test(run) && !/\b(gh|cosign|docker|git)\s/.test(run)) return 'kubectl';
    return 'other';
  })();
  return { data, role, label };
}

/** True when a step calls or installs flux, cosign or gh (what a migrated job must no longer need). */
export function callsTools(data: Record<string, unknown>): boolean {
  const run = typeof data.run === 'string' ? data.run : '';
  return /(^|[\s;&|(`$])(flux|cosign|gh)\s/m.test(run);
}

/** The flags of a `gh pr create` command line: --head=X and --head X forms; flags without a value map to ''. */
export function ghFlags(command: string): Map<string, string[]> {
  const words = command.match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
  const flags = new Map<string, string[]>();
  const add = (k: string, v: string) => flags.set(k, [...(flags.get(k) ?? []), v.replace(/^(["'])(.*)\1$/, '$2')]);
  const valued = new Set(['head', 'base', 'repo', 'title', 'body', 'label', 'assignee', 'reviewer', 'R', 'H', 'B', 't', 'b', 'l', 'a', 'r']);
  for (let i = 3; i < words.length; i++) {
    const w = words[i];
    const m = /^--?([\w-]+)(?:=(.*))?$/.exec(w);
    if (!m) continue;
    if (m[2] !== undefined) add(m[1], m[2]);
    else if (valued.has(m[1]) && i + 1 < words.length) add(m[1], words[++i]);
    else add(m[1], '');
  }
  return flags;
}

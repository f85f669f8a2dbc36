/**
 * `d2 demo --from-init`: the three repositories as `d2 init` writes them (docs/adopt.md), moved onto the local stack:
 * the artifacts' registry (ghcr.io/<owner>) becomes the demo registry, the apps and infra git URLs of the update
 * cluster become the demo git server, and the example charts (and their update policies) point at the demo images,
 * written at their initial version so the image update automation has something to update. Nothing else changes: the
 * workflows, clusters, runtime-info identities, tenants, setter markers and policies are init's own.
 */
import { DEMO_IMAGES, type D2RepoOptions, type FileTree } from '@d2/sandbox/d2-repos';
import { EXAMPLE_CHARTS, initFiles, initPlan, type RepoKind } from '../adopt/init/index.js';

export interface InitRepoOptions extends D2RepoOptions {
  /** Base URL of the demo git server (`<url>/<owner>/<name>.git`). */
  gitUrl: string;
}

const replaceAll = (text: string, pairs: Array<[string, string]>) => pairs.reduce((t, [from, to]) => t.split(from).join(to), text);

export function initRepos(o: InitRepoOptions): Record<RepoKind, FileTree> {
  const charts: Array<[string, string]> = [
    [EXAMPLE_CHARTS.podinfo.repository, `${o.registry}/${DEMO_IMAGES.podinfo.repository}`],
    [`tag: ${EXAMPLE_CHARTS.podinfo.version} #`, `tag: ${DEMO_IMAGES.podinfo.initial} #`],
    [EXAMPLE_CHARTS.certManager.repository, `${o.registry}/${DEMO_IMAGES.certManager.repository}`],
    [`tag: ${EXAMPLE_CHARTS.certManager.version} #`, `tag: ${DEMO_IMAGES.certManager.initial} #`],
  ];
  const pairs: Array<[string, string]> = [[`ghcr.io/${o.owner.toLowerCase()}/`, `${o.registry}/${o.owner}/`], [`https://github.com/${o.owner}/`, `${o.gitUrl}/${o.owner}/`], ...charts];
  const out = {} as Record<RepoKind, FileTree>;
  for (const kind of ['fleet', 'apps', 'infra'] as const) {
    const files = initFiles(initPlan(kind, o.owner, 'github'));
    // README and workflows keep their GitHub wording; the manifests are what the demo runs.
    out[kind] = Object.fromEntries(Object.entries(files).map(([path, text]) => [path, path.endsWith('.md') || path.startsWith('.github/') ? text : replaceAll(text, pairs)]));
  }
  return out;
}

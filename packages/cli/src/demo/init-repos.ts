/**
 * `d2 demo --from-init`: the three repositories as `d2 init` writes them (docs/adopt.md), moved onto the local stack:
 * the artifacts' registry (ghcr.io/<owner>) becomes the demo registry, the apps and infra git URLs of the update
 * cluster become the demo git server, and the example charts (and their update policies) point at the demo images,
 * written at their initial version so the image update automation has something to update. Nothing else changes: the
 * workflows, clusters, runtime-info identities, tenants, setter markers and policies are init's own. With
 * `forge: 'gitlab'` the repositories are init's GitLab ones (`d2 demo --forge gitlab --from-init`): registry.gitlab.com
 * and the gitlab.com project URLs move onto the local stack in the same way; the pipelines keep their text.
 */
import { DEMO_IMAGES, type D2RepoOptions, type FileTree } from '@d2/sandbox/d2-repos';
import { EXAMPLE_CHARTS, initFiles, initPlan, type RepoKind } from '../adopt/init/index.js';

export interface InitRepoOptions extends D2RepoOptions {
  /** Base URL of the demo git server (`<url>/<owner>/<name>.git`). */
  gitUrl: string;
  /** The layout of `d2 init --forge`; default github. */
  forge?: 'github' | 'gitlab';
}

const replaceAll = (text: string, pairs: Array<[string, string]>) => pairs.reduce((t, [from, to]) => t.split(from).join(to), text);

export function initRepos(o: InitRepoOptions): Record<RepoKind, FileTree> {
  const charts: Array<[string, string]> = [
    [EXAMPLE_CHARTS.podinfo.repository, `${o.registry}/${DEMO_IMAGES.podinfo.repository}`],
    [`tag: ${EXAMPLE_CHARTS.podinfo.version} #`, `tag: ${DEMO_IMAGES.podinfo.initial} #`],
    [EXAMPLE_CHARTS.certManager.repository, `${o.registry}/${DEMO_IMAGES.certManager.repository}`],
    [`tag: ${EXAMPLE_CHARTS.certManager.version} #`, `tag: ${DEMO_IMAGES.certManager.initial} #`],
  ];
  const forge = o.forge ?? 'github';
  // The signing subjects are regular expressions (`https://gitlab\.com/…`): these plain URLs never match them.
  const pairs: Array<[string, string]> =
    forge === 'gitlab'
      ? [[`registry.gitlab.com/${o.owner.toLowerCase()}/`, `${o.registry}/${o.owner}/`], [`https://gitlab.com/${o.owner}/`, `${o.gitUrl}/${o.owner}/`], ...charts]
      : [[`ghcr.io/${o.owner.toLowerCase()}/`, `${o.registry}/${o.owner}/`], [`https://github.com/${o.owner}/`, `${o.gitUrl}/${o.owner}/`], ...charts];
  const out = {} as Record<RepoKind, FileTree>;
  for (const kind of ['fleet', 'apps', 'infra'] as const) {
    const files = initFiles(initPlan(kind, o.owner, forge));
    // README, workflows and pipelines keep their wording; the manifests are what the demo runs.
    const kept = (path: string) => path.endsWith('.md') || path.startsWith('.github/') || path === '.gitlab-ci.yml';
    out[kind] = Object.fromEntries(Object.entries(files).map(([path, text]) => [path, kept(path) ? text : replaceAll(text, pairs)]));
  }
  return out;
}

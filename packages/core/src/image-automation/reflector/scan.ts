/**
 * ImageRepository scanning (IRC `imagerepository_controller.go` `scan`, `filterOutTags`, `sortTagsAndGetLatestTags`):
 * list every tag, drop the excluded ones, keep them in storage order (docs/image-policies.md, "Pipeline"). Digest
 * reflection for an elected tag is an ImagePolicy feature: policy/digest.ts.
 */
import { compileGoRegexp, GoRegexpError, sortDescendingBytesInPlace, type GoRegexp } from '../../base/index.js';
import { D2Error, InputError } from '../../errors.js';
import { parseImageName, type ImageName } from './image.js';
import type { ImageRepository, ImageRepositorySpec, ScanRepository, ScanResult, TagLister } from './types.js';

/** IRC `GetExclusionList()` default (also the CRD default). */
export const DEFAULT_EXCLUSION_LIST: readonly string[] = Object.freeze(['^.*\\.sig$']);
/** CRD `MaxItems` of `spec.exclusionList`. */
export const MAX_EXCLUSIONS = 25;
/** IRC `latestTagsCount`. */
export const LATEST_TAGS_COUNT = 10;

/**
 * IRC `GetExclusionList()` + `filterOutTags` compilation: a non-empty list replaces the default, an empty or missing
 * one yields `^.*\.sig$`; more than 25 entries or an invalid regex is an error (before any registry request).
 */
export function compileExclusionList(list: readonly string[] | undefined): GoRegexp[] {
  if (list && list.length > MAX_EXCLUSIONS) {
    throw new InputError(
      `spec.exclusionList has ${list.length} entries; at most ${MAX_EXCLUSIONS} are allowed`,
      'combine patterns with | (e.g. "^.*\\\\.sig$|-alpha$")',
    );
  }
  const patterns = list && list.length > 0 ? list : DEFAULT_EXCLUSION_LIST;
  return patterns.map((pattern) => {
    try {
      return compileGoRegexp(pattern);
    } catch (err) {
      if (!(err instanceof GoRegexpError)) throw err;
      throw new InputError(
        `failed to compile regex ${pattern}: ${err.message}`,
        'spec.exclusionList entries are Go RE2 regular expressions, matched anywhere in the tag',
      );
    }
  });
}

/** IRC `filterOutTags`: drops every tag that any regex matches anywhere (unanchored `MatchString`). */
export function applyExclusionList(tags: readonly string[], exclusions: readonly GoRegexp[]): { kept: string[]; excluded: string[] } {
  const kept: string[] = [];
  const excluded: string[] = [];
  for (const tag of tags) (exclusions.some((re) => re.test(tag)) ? excluded : kept).push(tag);
  return { kept, excluded };
}

/**
 * applyExclusionList without a copy: compacts `tags` in place to the kept tags (order kept) and returns the excluded
 * ones. For the scan, which owns the listed array: millions of tags are held once, not twice.
 */
function excludeInPlace(tags: string[], exclusions: readonly GoRegexp[]): string[] {
  const excluded: string[] = [];
  let kept = 0;
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i];
    if (exclusions.some((re) => re.test(tag))) excluded.push(tag);
    else tags[kept++] = tag;
  }
  tags.length = kept;
  return excluded;
}

function specOf(repo: ImageRepositorySpec | ImageRepository): { spec: ImageRepositorySpec; label: string } {
  if ('kind' in repo && repo.kind === 'ImageRepository') {
    return { spec: repo.spec, label: repo.namespace ? `${repo.namespace}/${repo.name}` : repo.name };
  }
  return { spec: repo as ImageRepositorySpec, label: (repo as ImageRepositorySpec).image };
}

/** The repository argument for the registry client. */
export function scanRepositoryOf(name: ImageName, provider?: ImageRepositorySpec['provider']): ScanRepository {
  return { registry: name.registry, repository: name.repository, insecure: name.insecure, ...(provider && provider !== 'generic' ? { provider } : {}) };
}

/**
 * Scans an ImageRepository: validates `spec.image` and the exclusion list (no request is made if either is invalid),
 * lists all tags through the registry client, drops excluded tags and sorts the rest descending by bytes. The array
 * the client returns becomes the result (filtered and sorted in place), so each tag is stored once
 * (bench/tag-listing.bench.ts).
 */
export async function scanImageRepository(repo: ImageRepositorySpec | ImageRepository, client: TagLister): Promise<ScanResult> {
  const { spec, label } = specOf(repo);
  const name = parseImageName(spec.image, spec.insecure === true);
  const exclusions = compileExclusionList(spec.exclusionList);
  let listed: string[];
  try {
    listed = await client.listTags(scanRepositoryOf(name, spec.provider));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new D2Error(`ImageRepository ${label}: scan failed: ${message}`, {
      code: err instanceof D2Error ? err.code : 'SCAN_FAILED',
      hint: err instanceof D2Error && err.hint ? err.hint : `check that ${name.canonicalName} exists and the credentials can read it`,
      cause: err,
    });
  }
  const excluded = excludeInPlace(listed, exclusions);
  const tags = sortDescendingBytesInPlace(listed);
  return {
    canonicalImageName: name.canonicalName,
    tags,
    latestTags: tags.slice(0, LATEST_TAGS_COUNT),
    tagCount: tags.length,
    excluded,
  };
}

/** IRC `sortTagsAndGetLatestTags`: the tags in storage order (descending bytes) and the first 10 of them. */
export function sortTagsAndGetLatestTags(tags: readonly string[]): { tags: string[]; latestTags: string[] } {
  const sorted = sortDescendingBytesInPlace([...tags]);
  return { tags: sorted, latestTags: sorted.slice(0, LATEST_TAGS_COUNT) };
}

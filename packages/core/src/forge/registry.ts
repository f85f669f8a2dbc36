/** The forges by name (docs/architecture.md "How to add a registry provider / identity / forge"). */
import { InputError } from '../errors.js';
import { githubForge } from './github.js';
import { gitlabForge } from './gitlab.js';
import type { Forge, ForgeFactory, ForgeOptions } from './types.js';

export const FORGES: ReadonlyMap<string, ForgeFactory> = new Map<string, ForgeFactory>([
  ['github', githubForge],
  ['gitlab', gitlabForge],
]);

export function forgeFor(name: string, opts: ForgeOptions, forges: ReadonlyMap<string, ForgeFactory> = FORGES): Forge {
  const factory = forges.get(name);
  if (!factory) throw new InputError(`unknown forge '${name}'`, `use one of: ${[...forges.keys()].join(', ')}`);
  return factory(opts);
}

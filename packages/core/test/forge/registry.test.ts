/** The forge registry (forge/registry.ts): GitHub registered, unknown names refused with the list of known ones. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { FORGES, forgeFor, ImageUpdatesPr, type Forge, type ForgeFactory } from '../../src/forge/index.js';
import { PullRequests } from '../../src/github/index.js';

describe('forge registry', () => {
  it('registers github and gitlab; the github forge is the GitHub pull request client', () => {
    expect([...FORGES.keys()]).toEqual(['github', 'gitlab']);
    const forge = forgeFor('github', { repository: 'acme/fleet', token: 'ghs_x', apiUrl: 'http://127.0.0.1:9' });
    expect(forge).toBeInstanceOf(PullRequests);
    expect(forge.errorKind(new Error('Validation Failed: A pull request already exists for acme:image-updates.'))).toBe('pull-request-exists');
    expect(forge.describeError(new Error('boom'), 'list the pull requests').message).toContain('list the pull requests');
  });

  it('refuses an unknown forge, naming the known ones', () => {
    expect(() => forgeFor('gitea', { repository: 'acme/fleet', token: 't' })).toThrow(InputError);
    expect(() => forgeFor('gitea', { repository: 'acme/fleet', token: 't' })).toThrow(/gitea/);
  });

  it('the image-updates flow runs on any registered forge', async () => {
    const calls: string[] = [];
    const fake = { branchSha: (b: string) => (calls.push(`branchSha ${b}`), Promise.resolve(undefined)) } as unknown as Forge;
    const forges = new Map<string, ForgeFactory>([['fake', () => fake]]);
    const result = await new ImageUpdatesPr(forgeFor('fake', { repository: 'acme/fleet', token: 't' }, forges)).run({ repository: 'acme/fleet', head: 'image-updates', base: 'main' });
    expect(result).toMatchObject({ operation: 'none', base: 'main', headSha: '' });
    expect(calls).toEqual(['branchSha image-updates']);
  });
});

import { InputError } from '@d2/core';
import type { Command } from '../cli.js';

/**
 * `d2 demo` in the installed d2 (the npm package and the single binary; scripts/build.mjs puts this module in place of
 * commands/demo.ts): the demo runs the committed action bundles of a D2 Actions checkout on the sandbox's local
 * servers, which an installed d2 does not carry (docs/cli.md "Installing d2"). It refuses before doing anything.
 */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'Not in this build: run the demo from a clone of D2 Actions (./scripts/dev demo)',
  usage: 'd2 demo',
  help: `The demo runs the actions' committed bundles of a D2 Actions checkout on local servers (a CNCF distribution
registry, a Sigstore stand-in, git remotes, a GitHub API emulator). The npm package and the single binary leave it out:
clone the repository and run ./scripts/dev demo.

Exit codes: 2 always (this build has no demo).`,
  options: { registry: { type: 'string' }, out: { type: 'string' }, keep: { type: 'boolean' } },
  async run() {
    throw new InputError(
      'd2 demo is not part of this build of d2 (the npm package and the single binary leave it out)',
      'run the demo from a clone of D2 Actions: ./scripts/dev demo (it starts local servers and runs the actions from the checkout)',
    );
  },
};

import { EXIT_OK, type Command } from '../cli.js';
import { COMMIT, FLAVOR, VERSION } from '../version.js';

export const versionCommand: Command = {
  name: 'version',
  summary: 'Print the d2 version, the commit it was built from, and the runtime',
  usage: 'd2 version [-o json]',
  help: `Prints the d2 version, the commit of D2 Actions it was built from, how it was built (dev: a clone's
packages/cli/dist, npm: the published package, sea: the single-file binary), the Node.js version and the platform.`,
  options: {},
  async run(ctx) {
    const info = { version: VERSION, commit: COMMIT, build: FLAVOR, node: process.versions.node, platform: `${process.platform}/${process.arch}` };
    ctx.result(info, `d2 ${info.version} (commit ${info.commit}, ${info.build} build, node ${info.node}, ${info.platform})`);
    return EXIT_OK;
  },
};

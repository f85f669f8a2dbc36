import { EXIT_OK, type Command } from '../cli.js';
import { VERSION } from '../version.js';

export const versionCommand: Command = {
  name: 'version',
  summary: 'Print the d2 version and runtime',
  usage: 'd2 version [-o json]',
  help: 'Prints the d2 version, the Node.js version and the platform.',
  options: {},
  async run(ctx) {
    const info = { version: VERSION, node: process.versions.node, platform: `${process.platform}/${process.arch}` };
    ctx.result(info, `d2 ${info.version} (node ${info.node}, ${info.platform})`);
    return EXIT_OK;
  },
};

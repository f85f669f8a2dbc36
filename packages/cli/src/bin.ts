import { runCli } from './cli.js';
import { commands } from './commands/index.js';
import { VERSION } from './version.js';

runCli(commands, process.argv.slice(2), VERSION).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`d2: ${String(err)}\n`);
    process.exitCode = 1;
  },
);

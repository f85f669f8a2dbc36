import { runCli } from './cli.js';
import { commandsFor } from './command-loader.js';
import { VERSION } from './version.js';

const argv = process.argv.slice(2);
commandsFor(argv)
  .then((commands) => runCli(commands, argv, VERSION))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`d2: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );

import { processIo, runCli } from './cli.js';
import { commandsFor } from './command-loader.js';
import { VERSION } from './version.js';

const argv = process.argv.slice(2);
commandsFor(argv)
  // scripts/build.mjs writes the build worker next to this entry (d2.mjs); from source, core finds its own.
  .then((commands) => runCli(commands, argv, VERSION, import.meta.url.endsWith('.ts') ? processIo : { ...processIo, buildWorker: new URL('./build-worker.cjs', import.meta.url) }))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`d2: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );

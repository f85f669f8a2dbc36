/**
 * Temporary directories that do not outlive the process. Every directory made here is removed by its owner
 * (`remove()`, in a `finally`), and — should the process end first — when it exits (`process.exit`, an uncaught
 * error) or is stopped by SIGINT, SIGTERM or SIGHUP (a cancelled CI job, Ctrl-C). Only SIGKILL can leave one behind.
 *
 * The signal handlers are installed only while a directory exists, so an idle library changes nothing. When one of
 * these signals arrives and no other handler is registered for it, the directories are removed and the signal is
 * raised again, so the process ends exactly as it would have (exit status 128 + signal number); when the application
 * has its own handler, the directories are removed and ending the process is left to that handler.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  /** Removes the directory and everything in it (idempotent). */
  remove(): Promise<void>;
  /** Hands the directory over to the caller: it is no longer removed at exit. */
  keep(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type Signal = (typeof SIGNALS)[number];

const live = new Set<string>();
let installed = false;

function removeAllSync(): void {
  for (const dir of live) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Best effort at exit: nothing more can be done.
    }
  }
  live.clear();
}

function onExit(): void {
  removeAllSync();
}

function onSignal(signal: Signal): void {
  removeAllSync();
  const alone = process.listenerCount(signal) === 1;
  uninstall();
  // Only our handler: re-raise so that the default action ends the process with the usual status.
  if (alone) process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener('exit', onExit);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** Creates `<base or the OS temp dir>/<prefix>XXXXXX`, removed on every path (see the module comment). */
export async function makeTempDir(prefix: string, base: string = tmpdir()): Promise<TempDir> {
  const path = await mkdtemp(join(base, prefix));
  live.add(path);
  install();
  let removed = false;
  const forget = (): void => {
    live.delete(path);
    if (live.size === 0) uninstall();
  };
  return {
    path,
    remove: async () => {
      if (removed) return;
      removed = true;
      try {
        await rm(path, { recursive: true, force: true });
      } finally {
        forget();
      }
    },
    keep: () => {
      removed = true;
      forget();
    },
  };
}

/** Temp directories currently alive (for tests). */
export function liveTempDirs(): string[] {
  return [...live];
}

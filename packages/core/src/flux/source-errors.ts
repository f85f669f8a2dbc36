/**
 * File-system errors met while reading an artifact's source (the walk, `.sourceignore` files, the checks before a
 * build), turned into errors that name the path and say what to do. The same messages appear whether the problem is
 * found while validating inputs or while building, because both run the same walk.
 */
import { dirname } from 'node:path';
import { clip, D2Error } from '../errors.js';

/** What was being read: a directory's listing, a file's data, or an entry's metadata (lstat). */
export type SourceKind = 'directory' | 'file' | 'entry';

/** A path quoted for a shell command in a hint. */
function shellQuote(p: string): string {
  return `'${clip(p).replace(/'/g, `'\\''`)}'`;
}

/** An actionable error for a failed read of `path` (a `kind`) in an artifact's source. */
export function sourceReadError(err: unknown, path: Buffer | string, kind: SourceKind): D2Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'error';
  const p = typeof path === 'string' ? path : path.toString('utf8');
  const opts = { code: 'ARTIFACT_SOURCE_UNREADABLE' as const, cause: err };
  if (code === 'EACCES' || code === 'EPERM') {
    if (kind === 'directory') {
      return new D2Error(`cannot read directory ${clip(p)}: permission denied (${code})`, {
        ...opts,
        hint:
          `give the user running the build read and search permission on it (e.g. chmod u+rx ${shellQuote(p)}, or chown it to that user); ` +
          'ignore-paths cannot skip a directory: like Flux, the walk lists every directory, ignored ones included',
      });
    }
    if (kind === 'file') {
      return new D2Error(`cannot read file ${clip(p)}: permission denied (${code})`, {
        ...opts,
        hint: `make it readable by the user running the build (e.g. chmod u+r ${shellQuote(p)}), or leave it out of the artifact with ignore-paths`,
      });
    }
    const dir = dirname(p);
    return new D2Error(`cannot inspect ${clip(p)}: permission denied (${code}); its directory ${clip(dir)} is not searchable`, {
      ...opts,
      hint: `give the user running the build search permission on the directory (e.g. chmod u+x ${shellQuote(dir)}, or chown it to that user)`,
    });
  }
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new D2Error(`${clip(p)} disappeared while the artifact was being built (${code})`, {
      ...opts,
      hint: 'do not modify the directory while the artifact is built',
    });
  }
  if (code === 'ENAMETOOLONG') {
    return new D2Error(`path ${clip(p)} is too long for the file system (${code})`, { ...opts, code: 'INPUT_INVALID', hint: 'check the path' });
  }
  return new D2Error(`cannot read ${kind} ${clip(p)} (${code}): ${clip((err as Error | undefined)?.message ?? String(err), 512)}`, {
    ...opts,
    hint: 'check the file system (and that the directory is not modified during the build)',
  });
}

/** Runs a synchronous file-system call on `path`, turning its error into `sourceReadError`. */
export function fsCall<T>(path: Buffer | string, kind: SourceKind, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw sourceReadError(err, path, kind);
  }
}

/** The same for an asynchronous call. */
export async function fsCallAsync<T>(path: Buffer | string, kind: SourceKind, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw sourceReadError(err, path, kind);
  }
}

/**
 * The wording of file-system errors in an artifact's source (flux/source-errors.ts), with the errors injected: these
 * branches cannot all be reached for real as root (root ignores permission bits). The real, unprivileged runs are in
 * test/adversarial/permissions.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { D2Error } from '@d2/core';
import { sourceReadError, type SourceKind } from '@d2/core/flux';

const errno = (code: string, message = `${code}: injected`): NodeJS.ErrnoException => Object.assign(new Error(message), { code });

describe('sourceReadError', () => {
  it.each<[string, SourceKind, RegExp, RegExp, RegExp | undefined]>([
    ['EACCES', 'directory', /^cannot read directory \/w\/c\/locked: permission denied \(EACCES\)$/, /chmod u\+rx '\/w\/c\/locked'.*ignore-paths cannot skip a directory/, /exclude it with ignore-paths/],
    ['EPERM', 'directory', /^cannot read directory \/w\/c\/locked: permission denied \(EPERM\)$/, /chmod u\+rx/, undefined],
    ['EACCES', 'file', /^cannot read file \/w\/c\/locked: permission denied \(EACCES\)$/, /chmod u\+r '\/w\/c\/locked'.*or leave it out of the artifact with ignore-paths/, undefined],
    ['EACCES', 'entry', /^cannot inspect \/w\/c\/locked: permission denied \(EACCES\); its directory \/w\/c is not searchable$/, /chmod u\+x '\/w\/c'/, /ignore-paths/],
    ['ENOENT', 'file', /^\/w\/c\/locked disappeared while the artifact was being built \(ENOENT\)$/, /do not modify the directory/, undefined],
    ['ELOOP', 'directory', /^cannot read directory \/w\/c\/locked \(ELOOP\): ELOOP: injected$/, /check the file system/, undefined],
  ])('%s on a %s', (code, kind, message, hint, notInHint) => {
    const err = sourceReadError(errno(code), '/w/c/locked', kind);
    expect(err).toBeInstanceOf(D2Error);
    expect(err.code).toBe('ARTIFACT_SOURCE_UNREADABLE');
    expect(err.message).toMatch(message);
    expect(err.hint).toMatch(hint);
    if (notInHint) expect(err.hint).not.toMatch(notInHint);
  });

  it('quotes paths for the shell and clips long ones', () => {
    const err = sourceReadError(errno('EACCES'), "/w/it's here", 'directory');
    expect(err.hint).toContain(`chmod u+rx '/w/it'\\''s here'`);
    const long = sourceReadError(errno('ENAMETOOLONG', 'ENAMETOOLONG: ' + 'x'.repeat(9000)), '/' + 'x'.repeat(9000), 'entry');
    expect(long.message).toMatch(/is too long for the file system \(ENAMETOOLONG\)$/);
    expect(long.message.length).toBeLessThan(400);
  });
});

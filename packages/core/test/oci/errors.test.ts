/**
 * Registry error parsing and translation. The GHCR
 * bodies are the documented shapes of its failures (GHCR cannot run here); distribution's are real 2.8.2 shapes.
 */
import { describe, expect, it } from 'vitest';
import { D2Error, formatError } from '../../src/errors.js';
import { isNotFound, parseErrorBody, RegistryError } from '../../src/oci/errors.js';

describe('parseErrorBody', () => {
  it('reads detail as string, object or array', () => {
    const body = JSON.stringify({
      errors: [
        { code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'v1' } },
        { code: 'DENIED', message: 'denied', detail: 'str' },
        { code: 'NAME_UNKNOWN', message: 'repository name not known to registry', detail: [{ Name: 'x' }] },
        { code: 'UNAUTHORIZED', message: 'authentication required', detail: null },
      ],
    });
    expect(parseErrorBody(body).errors).toEqual([
      { code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: '{"Tag":"v1"}' },
      { code: 'DENIED', message: 'denied', detail: 'str' },
      { code: 'NAME_UNKNOWN', message: 'repository name not known to registry', detail: '[{"Name":"x"}]' },
      { code: 'UNAUTHORIZED', message: 'authentication required' },
    ]);
  });

  it('keeps plain-text bodies (2.8.2 answers "404 page not found") and token-server errors', () => {
    expect(parseErrorBody('404 page not found\n')).toEqual({ errors: [], text: '404 page not found\n' });
    expect(parseErrorBody('{"error":"invalid_grant","error_description":"bad password"}').errors).toEqual([{ code: 'INVALID_GRANT', message: 'bad password' }]);
    expect(parseErrorBody(undefined)).toEqual({ errors: [] });
  });
});

describe('RegistryError', () => {
  it('an ECR refusal to move an immutable tag says so, with the fix', () => {
    const e = new RegistryError({
      operation: 'PUT manifest',
      registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      repository: 'acme/app',
      status: 400,
      errors: [{ code: 'TAG_INVALID', message: "The image tag 'latest' already exists in the 'acme/app' repository and cannot be overwritten because the tag is immutable." }],
    });
    expect(e.hint).toMatch(/immutable tags .*cannot be moved.*MUTABLE/);
  });

  const base = { registry: 'ghcr.io', repository: 'org/app', operation: 'push manifest v1' };

  it('carries registry, repository, operation, status and the registry error in its message', () => {
    const e = new RegistryError({ ...base, status: 404, errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] });
    expect(e).toBeInstanceOf(D2Error);
    expect(e.message).toBe('push manifest v1 on ghcr.io/org/app failed (HTTP 404): MANIFEST_UNKNOWN: manifest unknown');
    expect(e.code).toBe('REGISTRY_NOT_FOUND');
    expect(isNotFound(e)).toBe(true);
    expect(e.registryCode).toBe('MANIFEST_UNKNOWN');
  });

  it('translates GHCR write_package into "Manage Actions access"', () => {
    const e = new RegistryError({ ...base, status: 403, errors: [{ code: 'DENIED', message: 'permission_denied: write_package' }] });
    expect(e.code).toBe('REGISTRY_DENIED');
    expect(e.hint).toMatch(/Manage Actions access/);
    expect(e.hint).toMatch(/packages: write/);
    expect(formatError(e)).toContain('hint: ');
  });

  it('translates "installation not allowed to Create organization package" (App tokens)', () => {
    const e = new RegistryError({ ...base, status: 403, errors: [{ code: 'DENIED', message: 'installation not allowed to Create organization package' }] });
    expect(e.hint).toMatch(/App installation tokens cannot create organization packages/);
    expect(e.hint).toMatch(/GITHUB_TOKEN/);
  });

  it('translates a bare GHCR denied into the permissions fix', () => {
    const e = new RegistryError({ ...base, operation: 'ping', status: 403, errors: [{ code: 'DENIED', message: 'denied' }] });
    expect(e.hint).toMatch(/permissions: packages: write/);
    expect(e.hint).toMatch(/Workflow permissions/);
  });

  it('explains distribution failures', () => {
    expect(new RegistryError({ registry: 'r', operation: 'x', status: 400, errors: [{ code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry' }] }).hint).toMatch(/push every blob before the manifest/);
    expect(new RegistryError({ registry: 'r', operation: 'x', status: 400, errors: [{ code: 'MANIFEST_INVALID', message: 'manifest invalid' }] }).hint).toMatch(/Content-Type equals its mediaType/);
    expect(new RegistryError({ registry: 'r', operation: 'x', status: 413 }).code).toBe('REGISTRY_TOO_LARGE');
    expect(new RegistryError({ registry: 'r', operation: 'x', status: 429 }).code).toBe('REGISTRY_TOO_MANY_REQUESTS');
    expect(new RegistryError({ registry: 'r', operation: 'x', status: 401, errors: [{ code: 'INSUFFICIENT_SCOPE', message: 'm' }] }).hint).toMatch(/lack the needed rights/);
  });

  it('shows the start of a text body when there is no JSON error', () => {
    expect(new RegistryError({ registry: 'r', repository: 'a', operation: 'get manifest V1', status: 404, body: '404 page not found\n' }).message).toBe('get manifest V1 on r/a failed (HTTP 404): 404 page not found');
  });
});

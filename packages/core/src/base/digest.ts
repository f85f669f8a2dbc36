import { createHash } from 'node:crypto';

/** The OCI digest of some bytes: `sha256:<64 lowercase hex>`. */
export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

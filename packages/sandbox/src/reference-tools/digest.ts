import { createHash } from 'node:crypto';

/** sha256:<hex> of bytes (convenience for comparing tool output). */
export function sha256Digest(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

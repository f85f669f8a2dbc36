/**
 * Go compress/flate level 6 + compress/gzip, byte for byte, for Flux's exact layer bytes. See docs/flate.md.
 */
export { createGoGzip, crc32, crc32Table, goGzipSync, goDeflateRawSync, GoGzipWriter, GZIP_HEADER, GzipMember } from './gzip.js';
export type { GoGzipStreamOptions } from './gzip.js';
export { GoDeflater } from './deflater.js';
export type { ByteSink } from './bitwriter.js';

export * from './errors.js';
export * from './types.js';
export * from './semver.js';
export * from './semver-policy.js';
export * from './numerical.js';
export * from './alphabetical.js';
export * from './filter.js';
export * from './policer.js';
export * from './elect.js';
export * from './manifest.js';
export * from './select.js';
export * from './digest.js';
// The Go string and regexp helpers of the policies live in the lower layer; they stay part of this entry point's API.
export { byteLength, compareBytes, compileGoRegexp, GoRegexpError, goQuote, sortDescendingBytes, sortDescendingBytesInPlace } from '../../base/index.js';
export type { GoRegexp } from '../../base/index.js';

/**
 * The Flux verify blocks live in the lower layer (base/flux-verify.ts), where the attestor reads them too; the job
 * summary imports them from here with `import()`, once signing has run (publish/summary.ts).
 */
export { exactRegExp, fluxVerifyBlock, generalisedIdentityRegExp } from '../base/index.js';
export type { FluxVerifyOptions } from '../base/index.js';

/** The Flux verify blocks live in the lower layer (base/flux-verify.ts), where publishing's summary reads them too. */
export { exactRegExp, fluxVerifyBlock, generalisedIdentityRegExp } from '../base/index.js';
export type { FluxVerifyOptions } from '../base/index.js';

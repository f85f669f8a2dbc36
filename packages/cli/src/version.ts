/**
 * The d2 version and the commit it was built from. scripts/build.mjs embeds both at build time (esbuild `define`):
 * the version of packages/cli/package.json and `git rev-parse HEAD` (with `-dirty` when the CLI's sources had
 * uncommitted changes), or D2_BUILD_COMMIT when set. Run from source (tests), the values say so.
 */
declare const D2_BUILD_VERSION: string | undefined;
declare const D2_BUILD_COMMIT: string | undefined;
declare const D2_BUILD_FLAVOR: string | undefined;

export const VERSION: string = typeof D2_BUILD_VERSION === 'string' ? D2_BUILD_VERSION : '0.0.0-source';
export const COMMIT: string = typeof D2_BUILD_COMMIT === 'string' ? D2_BUILD_COMMIT : 'unknown';
/** How this d2 was built: `dev` (a clone's packages/cli/dist), `npm` (the published package), `sea` (the single binary). */
export const FLAVOR: string = typeof D2_BUILD_FLAVOR === 'string' ? D2_BUILD_FLAVOR : 'source';

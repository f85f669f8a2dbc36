/**
 * The entry of a build worker thread (see build-pool.ts). scripts/build.mjs bundles it as `build-worker.cjs` next to
 * each bundle that builds artifacts (actions/<name>/dist, packages/cli/dist); from source it is loaded as TypeScript.
 */
import { serveLayerBuilds } from './build-worker.js';

serveLayerBuilds();

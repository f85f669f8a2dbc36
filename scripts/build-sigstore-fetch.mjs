// `make-fetch-happen` in the bundles: an esbuild plugin used by scripts/build.mjs (actions, CLI, single binary) and
// scripts/bench.mjs (docs/architecture.md, "Signing's HTTP client").
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SHIM = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'core', 'src', 'oci', 'sigstore-fetch.ts');

/**
 * `@sigstore/sign` sends its Fulcio, Rekor and TSA requests with make-fetch-happen, which brings about 660 KiB of code
 * (an HTTP cache, iconv-lite, SOCKS, glob) for one plain request each; a signed run loaded and evaluated it at every
 * start. Its import of make-fetch-happen, and only its, resolves to packages/core/src/oci/sigstore-fetch.ts, the same
 * request over the registry transport (proxies and deadlines included). The tests run the sources with the real
 * make-fetch-happen and the shim on its own (packages/core/test/oci/sigstore-fetch.test.ts); the bundle tests sign
 * through the shim against the Sigstore stand-in.
 */
export const sigstoreFetch = {
  name: 'd2-sigstore-fetch',
  setup(b) {
    b.onResolve({ filter: /^make-fetch-happen$/ }, (a) => {
      if (!/[\\/]@sigstore[\\/]sign[\\/]/.test(a.importer)) {
        return { errors: [{ text: `make-fetch-happen imported by ${a.importer}: only @sigstore/sign's import is replaced (scripts/build-sigstore-fetch.mjs); bundle this one on purpose or replace it too` }] };
      }
      return { path: SHIM };
    });
  },
};

/**
 * The reference tools of the conformance suite (docs/conformance.md): the real `flux`, `cosign` (3.x and optionally
 * 2.x) and `oras` CLIs, found where scripts/reference-tools.sh built them and run against the sandbox only:
 *  - registry: plain HTTP on loopback (`flux … --insecure-registry`, `oras --plain-http`, `cosign --allow-http-registry
 *    --allow-insecure-registry`), credentials through DOCKER_CONFIG (`SandboxRegistry.dockerConfigDir()`), which all
 *    three read (ggcr's DefaultKeychain, oras-go's docker credential store);
 *  - Sigstore: the stand-in's Fulcio/Rekor URLs, its trusted_root.json (`--trusted-root` for cosign 3; the SIGSTORE_* PEM
 *    variables derived from the same root for cosign 2) and an identity token;
 *  - egress: every run gets a fresh HOME, TUF_ROOT, ORAS_CACHE and KUBECONFIG in a temp dir, and HTTP(S)_PROXY pointing
 *    at an {@link EgressGuard} on 127.0.0.1 that refuses and records any request for a non-loopback host, so a tool that
 *    tries to reach the internet (a TUF refresh, an update check) fails fast and visibly instead of hanging, and tests
 *    can assert that nothing tried. Loopback is exempt through NO_PROXY (Go never proxies loopback anyway).
 *
 * One file per role: discovery, env (the hermetic environment), runner (the process runner), egress-guard, flux, oras,
 * cosign (+ cosign-trust for cosign 2's PEM variables), fulcio-bridge (Fulcio v1 in front of the stand-in's v2).
 */
export { missingReferenceTools, referenceTools, referenceToolsDir } from './discovery.js';
export type { ReferenceToolInfo, ReferenceToolName, ReferenceTools } from './discovery.js';
export { startEgressGuard } from './egress-guard.js';
export type { EgressAttempt, EgressGuard } from './egress-guard.js';
export { toolEnv } from './env.js';
export type { ToolEnvOptions } from './env.js';
export { assertToolOk, runTool } from './runner.js';
export type { RunToolOptions, ToolResult } from './runner.js';
export { FluxCli } from './flux.js';
export type { FluxBuildOptions, FluxPushOptions, FluxPushResult } from './flux.js';
export { OrasCli } from './oras.js';
export type { OrasDiscovery, OrasFile, OrasReferrer } from './oras.js';
export { CosignCli } from './cosign.js';
export type { CosignSignOptions, CosignVerifyOptions, SigstoreForTools } from './cosign.js';
export { trustPemsFromTrustedRoot } from './cosign-trust.js';
export type { TrustPems } from './cosign-trust.js';
export { startFulcioV1Bridge } from './fulcio-bridge.js';
export type { FulcioV1Bridge } from './fulcio-bridge.js';
export { sha256Digest } from '@d2/core/base';

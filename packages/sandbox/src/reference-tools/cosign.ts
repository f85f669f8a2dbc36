import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trustPemsFromTrustedRoot } from './cosign-trust.js';
import { toolEnv } from './env.js';
import { runTool, type ToolResult } from './runner.js';

/**
 * What cosign needs to use the sandbox's Sigstore stand-in (docs/signing.md "The Sigstore stand-in (sandbox)"). Structurally a subset of
 * `SandboxSigstore` (sigstore.ts), so the stand-in itself can be passed.
 */
export interface SigstoreForTools {
  /** Fulcio base URL speaking the v1 API cosign uses (see startFulcioV1Bridge). */
  fulcioURL: string;
  rekorURL: string;
  /** trusted_root.json of the stand-in (CA, CT log and Rekor keys). */
  trustedRootPath: string;
}

export interface CosignSignOptions {
  identityToken: string;
  /**
   * `bundle`: cosign 3's default new bundle format (DSSE referrer); `legacy`: `--new-bundle-format=false`, the
   * `sha256-<hex>.sig` tag (docs/signing.md).
   */
  format: 'legacy' | 'bundle';
}

export interface CosignVerifyOptions {
  identityRegexp: string;
  issuerRegexp: string;
  /**
   * cosign 3: `--new-bundle-format=<v>` (auto-detected when unset). cosign 2: true adds `--trusted-root`, which its
   * auto-detected bundle path needs.
   */
  newBundleFormat?: boolean;
}

/**
 * cosign (3.x, or 2.x with `major: 2`) pointed at the sandbox: plain-HTTP registry, the stand-in's Fulcio/Rekor and
 * trusted root, an explicit identity token, no TUF (cosign 3: `--trusted-root`; cosign 2: SIGSTORE_* PEM variables).
 */
export class CosignCli {
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly bin: string,
    readonly sigstore: SigstoreForTools,
    readonly major: 2 | 3 = 3,
    env: NodeJS.ProcessEnv = toolEnv(),
  ) {
    const pemDir = mkdtempSync(join(tmpdir(), 'd2-cosign-trust-'));
    const pems = trustPemsFromTrustedRoot(sigstore.trustedRootPath, pemDir);
    this.env = {
      ...env,
      // Both majors: verify Fulcio's SCT with the stand-in's CT key instead of fetching TUF targets.
      SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: pems.ctlogPem,
      ...(major === 2 ? { SIGSTORE_ROOT_FILE: pems.fulcioPem, SIGSTORE_REKOR_PUBLIC_KEY: pems.rekorPem } : {}),
    };
  }

  private registryArgs(): string[] {
    return ['--allow-insecure-registry', '--allow-http-registry'];
  }

  /**
   * `cosign <command> --yes` signing keylessly with the stand-in; `extra` follows the identity token. cosign 3 writes
   * the new bundle format referrer when `format` is `bundle`; with cosign 2 that is refused with `cosign2Bundle`.
   */
  private signing(command: string, extra: string[], imageRef: string, o: CosignSignOptions, cosign2Bundle: string): Promise<ToolResult> {
    // cosign treats --identity-token as a file when it can stat it, and fails on a long JWT ("file name too long"):
    // pass a 0600 file (also keeps the token out of the process list).
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'd2-cosign-token-')), 'token');
    writeFileSync(tokenFile, o.identityToken, { mode: 0o600 });
    const args = [command, '--yes', ...this.registryArgs(), `--fulcio-url=${this.sigstore.fulcioURL}`, `--rekor-url=${this.sigstore.rekorURL}`, `--identity-token=${tokenFile}`, ...extra];
    if (this.major === 3) {
      args.push('--use-signing-config=false', `--trusted-root=${this.sigstore.trustedRootPath}`, `--new-bundle-format=${o.format === 'bundle'}`);
    } else if (o.format === 'bundle') {
      throw new Error(cosign2Bundle);
    }
    args.push(imageRef);
    return runTool(this.bin, args, { env: this.env });
  }

  /** `cosign <command>` with identity and issuer regexps (after `extra`) and the stand-in's trust; exit 0 = accepted. */
  private verifying(command: string, extra: string[], imageRef: string, o: CosignVerifyOptions): Promise<ToolResult> {
    const args = [command, ...this.registryArgs(), ...extra, `--certificate-identity-regexp=${o.identityRegexp}`, `--certificate-oidc-issuer-regexp=${o.issuerRegexp}`, '--output=json'];
    if (this.major === 3) {
      args.push(`--trusted-root=${this.sigstore.trustedRootPath}`);
      if (o.newBundleFormat !== undefined) args.push(`--new-bundle-format=${o.newBundleFormat}`);
    } else {
      args.push(`--rekor-url=${this.sigstore.rekorURL}`);
      // (observed) cosign 2.6.5 also switches to a bundle referrer when one exists (GetBundles in verify.go) and then
      // needs the trusted root; SIGSTORE_* variables serve only its legacy path. Pass it when a bundle is expected.
      if (o.newBundleFormat) args.push(`--trusted-root=${this.sigstore.trustedRootPath}`);
    }
    args.push(imageRef);
    return runTool(this.bin, args, { env: this.env });
  }

  /** `cosign sign <image@digest>` with the stand-in; the exit code and output are returned, not thrown. */
  sign(imageRef: string, o: CosignSignOptions): Promise<ToolResult> {
    return this.signing('sign', [], imageRef, o, 'cosign 2 signs only the legacy .sig format here (its bundle format is not a referrer)');
  }

  /** `cosign verify <image@digest>` with identity and issuer regexps; exit 0 = accepted. */
  verify(imageRef: string, o: CosignVerifyOptions): Promise<ToolResult> {
    return this.verifying('verify', [], imageRef, o);
  }

  /**
   * `cosign attest --predicate <file> --type <t> <image@digest>` with the stand-in (cosign 3: `bundle` = the new bundle
   * format referrer, `legacy` = the `.att` tag).
   */
  attest(imageRef: string, o: CosignSignOptions & { predicatePath: string; type: string }): Promise<ToolResult> {
    return this.signing('attest', [`--predicate=${o.predicatePath}`, `--type=${o.type}`], imageRef, o, 'cosign 2 attests only in the legacy .att format here');
  }

  /** `cosign verify-attestation --type <t>` with identity and issuer regexps; exit 0 = accepted (same trust as verify). */
  verifyAttestation(imageRef: string, o: CosignVerifyOptions & { type: string }): Promise<ToolResult> {
    return this.verifying('verify-attestation', [`--type=${o.type}`], imageRef, o);
  }

  async version(): Promise<string> {
    const r = await runTool(this.bin, ['version'], { env: this.env });
    return (r.stdout + r.stderr).trim();
  }
}

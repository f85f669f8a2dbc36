import { assertToolOk, runTool, type ToolResult } from './runner.js';
import { toolEnv } from './env.js';

export interface FluxBuildOptions {
  /** `--ignore-paths` (replaces Flux's default list, docs/artifacts.md). Undefined = Flux's default. */
  ignorePaths?: string[];
}

export interface FluxPushOptions extends FluxBuildOptions {
  source: string;
  revision: string;
  /** `--reproducible`: created = epoch (formatted in TZ, which toolEnv sets to UTC). Default true. */
  reproducible?: boolean;
  /** `--annotations k=v` (repeatable). */
  annotations?: Record<string, string>;
}

export interface FluxPushResult {
  /** `oci://<registry>/<repo>@sha256:…` */
  url: string;
  repository: string;
  tag: string;
  /** Manifest digest. */
  digest: string;
}

/** The Flux CLI's artifact commands (build, push, pull, diff, tag) against the plain-HTTP sandbox registry. */
export class FluxCli {
  constructor(
    readonly bin: string,
    readonly env: NodeJS.ProcessEnv = toolEnv(),
  ) {}

  private ignoreArgs(o: FluxBuildOptions): string[] {
    // `--ignore-paths=` with an empty value gives an empty slice, i.e. no ignores at all.
    return o.ignorePaths === undefined ? [] : [`--ignore-paths=${o.ignorePaths.join(',')}`];
  }

  /** `flux build artifact --path <path> --output <out>`: writes the layer .tgz. */
  async build(path: string, output: string, o: FluxBuildOptions = {}): Promise<ToolResult> {
    return assertToolOk(await runTool(this.bin, ['build', 'artifact', `--path=${path}`, `--output=${output}`, ...this.ignoreArgs(o)], { env: this.env }));
  }

  /** `flux push artifact oci://<ref> --path … --output json --insecure-registry` */
  async push(ref: string, path: string, o: FluxPushOptions): Promise<FluxPushResult> {
    const args = ['push', 'artifact', `oci://${ref}`, `--path=${path}`, `--source=${o.source}`, `--revision=${o.revision}`, '--insecure-registry', '--output=json', ...this.ignoreArgs(o)];
    if (o.reproducible !== false) args.push('--reproducible');
    for (const [k, v] of Object.entries(o.annotations ?? {})) args.push('--annotations', `${k}=${v}`);
    const r = assertToolOk(await runTool(this.bin, args, { env: this.env }));
    return JSON.parse(r.stdout) as FluxPushResult;
  }

  /** `flux pull artifact oci://<ref> --output <dir> --insecure-registry`; throws on failure. */
  async pull(ref: string, outDir: string): Promise<ToolResult> {
    return assertToolOk(await this.pullResult(ref, outDir));
  }

  /** Same as pull() but returns a failed run instead of throwing (Flux's refusals are part of the oracle). */
  pullResult(ref: string, outDir: string): Promise<ToolResult> {
    return runTool(this.bin, ['pull', 'artifact', `oci://${ref}`, `--output=${outDir}`, '--insecure-registry'], { env: this.env });
  }

  /** `flux diff artifact oci://<ref> --path <path>`: equal = exit 0 ("✔ no changes detected"), anything else exit 1. */
  async diff(ref: string, path: string, o: FluxBuildOptions = {}): Promise<ToolResult & { equal: boolean }> {
    const r = await runTool(this.bin, ['diff', 'artifact', `oci://${ref}`, `--path=${path}`, '--insecure-registry', ...this.ignoreArgs(o)], { env: this.env });
    return { ...r, equal: r.code === 0 };
  }

  /**
   * `flux tag artifact oci://<ref> --tag <t>…`. Flux 2.9 has no `--insecure-registry` on this command; ggcr talks plain
   * HTTP to loopback registries anyway (`name.Registry.Scheme()`), so the sandbox works without it.
   */
  async tag(ref: string, tags: string[]): Promise<ToolResult> {
    return assertToolOk(await runTool(this.bin, ['tag', 'artifact', `oci://${ref}`, ...tags.map((t) => `--tag=${t}`)], { env: this.env }));
  }

  async version(): Promise<string> {
    const r = assertToolOk(await runTool(this.bin, ['version', '--client'], { env: this.env }));
    return (r.stdout + r.stderr).trim();
  }
}

/**
 * Building several artifacts on all cores: a pool of worker threads, each running `buildLayer` (walk, tar, go-flate,
 * both digests) for one component at a time, while the main thread keeps the registry traffic and the signing going.
 * The layer a worker writes is the same file, byte for byte, as a build on the main thread (the same code, the same
 * plain-data options), so the digests do not depend on the number of workers (docs/artifacts.md, "Workers").
 *
 * Only the layer is built off the main thread: `buildArtifact` validates the options, makes (and on every path
 * removes) the temp directory and encodes the manifest where it is called. A component that fails in a worker fails
 * with the same error as on the main thread; a worker that dies (an uncaught error, out of memory, an exit) fails the
 * component it was building, loudly, and the next build gets a new worker.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { D2Error, InputError } from '../errors.js';
import { buildArtifact, type BuildOptions, type BuiltArtifact, type BuiltLayer, type LayerOptions } from './build.js';
import { deserializeError, type BuildReply, type BuildRequest } from './build-worker.js';

/**
 * The script a worker thread runs: `build-worker.cjs` next to the bundle this module is part of (scripts/build.mjs
 * writes it there), or, when running from source, the TypeScript entry next to this file.
 */
export function defaultBuildWorkerScript(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? './build-worker-entry.ts' : './build-worker.cjs', here);
}

/**
 * A worker running from source: Node's type stripping (with enums: flate uses const enums) and a resolve hook that maps
 * the `.js` specifiers of the sources to their `.ts` files. Only tests run this way; bundles run build-worker.cjs.
 */
function sourceWorker(script: URL): Worker {
  const code = `
const { registerHooks } = require('node:module');
const { existsSync } = require('node:fs');
const { fileURLToPath } = require('node:url');
registerHooks({
  resolve(specifier, context, next) {
    if (specifier.endsWith('.js') && context.parentURL && context.parentURL.endsWith('.ts')) {
      const ts = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
      if (ts.protocol === 'file:' && existsSync(fileURLToPath(ts))) return next(ts.href, context);
    }
    return next(specifier, context);
  },
});
import(${JSON.stringify(script.href)}).catch((err) => { process.nextTick(() => { throw err; }); });
`;
  return new Worker(code, { eval: true, execArgv: ['--experimental-transform-types', '--disable-warning=ExperimentalWarning'] });
}

export interface BuildPoolOptions {
  /** Worker threads at most (started as builds arrive). */
  workers: number;
  /** The worker script (default `defaultBuildWorkerScript()`). */
  script?: URL;
}

interface Job {
  request: BuildRequest;
  resolve: (layer: BuiltLayer) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  job?: Job;
}

/** Worker threads building artifact layers; `build` has the signature of `buildArtifact`. Call `close()` when done. */
export class BuildPool {
  readonly workers: number;
  private readonly script: URL;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(opts: BuildPoolOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new InputError(`workers must be a positive integer, got ${opts.workers}`);
    this.workers = opts.workers;
    this.script = opts.script ?? defaultBuildWorkerScript();
  }

  /** `buildArtifact` with the layer built on a worker thread. */
  readonly build = (path: string, opts: BuildOptions = {}): Promise<BuiltArtifact> => buildArtifact(path, opts, this.layer);

  /** The LayerBuilder of the pool: queues the build and resolves with the worker's answer. */
  readonly layer = (path: string, options: LayerOptions, layerPath: string): Promise<BuiltLayer> => {
    if (this.closed) return Promise.reject(new D2Error('the build pool is closed', { hint: 'build before closing the pool' }));
    return new Promise<BuiltLayer>((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, path, options, layerPath }, resolve, reject });
      this.dispatch();
    });
  };

  /** Stops every worker; builds still queued or running fail. */
  async close(): Promise<void> {
    this.closed = true;
    const err = new D2Error('the build pool was closed before this build finished', { hint: 'wait for every build before closing the pool' });
    for (const job of this.queue.splice(0)) job.reject(err);
    const slots = [...this.slots];
    this.slots.clear();
    for (const s of slots) s.job?.reject(err);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = [...this.slots].find((s) => !s.job);
      if (!slot) {
        if (this.slots.size >= this.workers) return;
        slot = this.start();
      }
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage(job.request);
    }
  }

  private start(): Slot {
    const worker = this.script.pathname.endsWith('.ts') ? sourceWorker(this.script) : new Worker(this.script);
    const slot: Slot = { worker };
    this.slots.add(slot);
    worker.on('message', (reply: BuildReply) => {
      const job = slot.job;
      if (!job || job.request.id !== reply.id) return;
      slot.job = undefined;
      // An idle worker does not keep the process alive (a caller that forgets close() still exits).
      worker.unref();
      if ('layer' in reply) job.resolve(reply.layer);
      else job.reject(deserializeError(reply.error));
      this.dispatch();
    });
    const fail = (cause: Error | undefined, exitCode?: number): void => {
      if (!this.slots.delete(slot)) return;
      const job = slot.job;
      slot.job = undefined;
      if (job) {
        const why = cause ? `${cause.name}: ${cause.message}` : `it exited with code ${exitCode}`;
        job.reject(
          new D2Error(`the build worker building ${job.request.path} stopped: ${why}`, {
            code: 'ARTIFACT_BUILD_FAILED',
            hint: 'nothing was pushed for this component; re-run, or build on the main thread with workers: 1 (--workers 1) to see the error there',
            ...(cause ? { cause } : {}),
          }),
        );
      }
      void worker.terminate();
      if (!this.closed) this.dispatch();
    };
    worker.on('error', (err) => fail(err));
    worker.on('exit', (code) => fail(undefined, code));
    return slot;
  }
}

/**
 * The pool for `builds` artifacts with at most `workers` threads, or undefined when at most one build would run at a
 * time: a single component (or `workers` 1) is built on the main thread, where a worker would only add its start-up;
 * so is every build when the worker script is not there (the single-file executable has none).
 */
export function createBuildPool(workers: number, builds: number, script?: URL): BuildPool | undefined {
  const n = Math.min(workers, builds);
  if (n <= 1) return undefined;
  // A build without its worker script beside it (the single-file executable) builds on the main thread.
  const file = script ?? defaultBuildWorkerScript();
  if (file.protocol === 'file:' && !existsSync(fileURLToPath(file))) return undefined;
  return new BuildPool({ workers: n, ...(script ? { script } : {}) });
}

/**
 * The worker-thread side of a `BuildPool` (build-pool.ts): it receives layer builds (a path, the layer options and
 * the file to write), runs `buildLayer` on them one at a time and answers with the digests, or with the error. Errors
 * cross the thread boundary as plain data (message, hint, code, name, stack) and become the same D2Error again on the
 * other side, so a failed component reports exactly what a build on the main thread would have reported.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { D2Error, InputError, type ErrorCode } from '../errors.js';
import { buildLayer, type BuiltLayer, type LayerOptions } from './build.js';

/** One layer to build. */
export interface BuildRequest {
  id: number;
  path: string;
  options: LayerOptions;
  layerPath: string;
}

/** An error as sent between threads. */
export interface SerializedError {
  name: string;
  message: string;
  hint?: string;
  code?: ErrorCode;
  stack?: string;
}

export type BuildReply = { id: number; layer: BuiltLayer } | { id: number; error: SerializedError };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof D2Error) return { name: err.name, message: err.message, hint: err.hint, code: err.code, stack: err.stack };
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: String(err) };
}

/** The error `serializeError` describes: an InputError or D2Error (with its hint and code) when it was one. */
export function deserializeError(e: SerializedError): Error {
  let err: Error;
  if (e.code === 'INPUT_INVALID' && e.name === 'InputError') err = new InputError(e.message, e.hint);
  else if (e.code !== undefined) {
    err = new D2Error(e.message, { hint: e.hint, code: e.code });
    err.name = e.name;
  } else {
    err = new Error(e.message);
    err.name = e.name;
  }
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}

/**
 * Serves layer builds on `port` (the worker's parent port) until the worker is terminated. Builds run one at a time:
 * the pool sends a worker its next request only once the previous one is answered.
 */
export function serveLayerBuilds(port: MessagePort | null = parentPort): void {
  if (!port) throw new D2Error('serveLayerBuilds runs on a worker thread only', { hint: 'start it through BuildPool (flux/build-pool.ts)' });
  port.on('message', (req: BuildRequest) => {
    buildLayer(req.path, req.options, req.layerPath).then(
      (layer) => port.postMessage({ id: req.id, layer } satisfies BuildReply),
      (err: unknown) => port.postMessage({ id: req.id, error: serializeError(err) } satisfies BuildReply),
    );
  });
}

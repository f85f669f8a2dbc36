import type { JsonObject } from './model.js';

/** An error answer of the emulator: the status, GitHub's JSON body and extra headers (thrown by handlers). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: JsonObject,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body.message));
  }
}

/** GitHub's error body: message, extra fields (errors), documentation_url and the status as a string. */
export function errorBody(status: number, message: string, docUrl: string, extra: JsonObject = {}): JsonObject {
  return { message, ...extra, documentation_url: docUrl, status: String(status) };
}

/** 422 Validation Failed with GitHub's `errors` array. */
export function validationFailed(docUrl: string, errors: JsonObject[]): HttpError {
  return new HttpError(422, errorBody(422, 'Validation Failed', docUrl, { errors }));
}

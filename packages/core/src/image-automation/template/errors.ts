import { D2Error, type ErrorCode } from '../../errors.js';

/** A commit-message template failed to parse or execute (Flux: GitOperationFailed / RemovedTemplateField). */
export class TemplateError extends D2Error {
  constructor(message: string, hint?: string, code: ErrorCode = 'TEMPLATE_ERROR') {
    super(message, { code, hint: hint ?? 'check spec.git.commit.messageTemplate (Go text/template syntax, see docs/image-automation.md "Commit messages")' });
    this.name = 'TemplateError';
  }
}

import { commitHandlers } from './commits.js';
import { compareHandlers } from './compare.js';
import { gitDataHandlers } from './git-data.js';
import type { Handler } from './context.js';
import { issueHandlers } from './issues.js';
import { pullHandlers } from './pulls.js';
import { refHandlers } from './refs.js';
import { repoHandlers } from './repos.js';
import { tagBranchHandlers } from './tags-branches.js';

export { graphql } from './graphql.js';
export type { Answer, Handler, HandlerContext } from './context.js';

/** The REST operations the emulator implements, by OpenAPI operationId (one file per resource). */
export const handlers: Record<string, Handler> = {
  ...repoHandlers,
  ...pullHandlers,
  ...issueHandlers,
  ...refHandlers,
  ...tagBranchHandlers,
  ...compareHandlers,
  ...commitHandlers,
  ...gitDataHandlers,
};

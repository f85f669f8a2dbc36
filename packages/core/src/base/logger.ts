/**
 * The one logger interface of @d2/core. The actions pass one that writes to the runner log, the CLI one that writes to
 * stderr; a component that needs less declares `Pick<Logger, …>`.
 */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
}

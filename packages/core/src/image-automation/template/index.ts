export { Template, type FuncMap, type TemplateFunc } from './exec.js';
export { TemplateError } from './errors.js';
export { sprigFuncs, goJson } from './sprig.js';
export { sprint, sprintf, sprintln } from './fmt.js';
export { GO_FORMAT, GO_STRING, NO_VALUE, formatValue } from './values.js';
export * from './commit.js';

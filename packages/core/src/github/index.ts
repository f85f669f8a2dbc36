export * from './changes.js';
export * from './errors.js';
export * from './octokit.js';
export * from './pulls.js';
export * from './refs.js';
export * from './git-data.js';

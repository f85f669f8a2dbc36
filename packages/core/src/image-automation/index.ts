/**
 * Image update automation (docs/image-automation.md, docs/image-policies.md): shared barrel. Each part adds its own export lines.
 */
export * from './k8s/index.js';
export * from './policy/index.js';
export * from './reflector/index.js';
export * from './setters/index.js';
export * from './template/index.js';
export * from './config/index.js';
export * from './git/index.js';
export * from './engine/index.js';

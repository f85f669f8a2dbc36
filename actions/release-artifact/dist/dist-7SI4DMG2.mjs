import{createRequire as __d2_createRequire}from"node:module";const require=__d2_createRequire(import.meta.url);
import{b as a}from"./chunk-WIWRISOS.mjs";import"./chunk-RM3WKVMS.mjs";import"./chunk-J4LXN66E.mjs";import"./chunk-BAKELXPE.mjs";export default a();

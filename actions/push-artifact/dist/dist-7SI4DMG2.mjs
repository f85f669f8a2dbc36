import{createRequire as __d2_createRequire}from"node:module";const require=__d2_createRequire(import.meta.url);
import{b as a}from"./chunk-WIWRISOS.mjs";import"./chunk-RM3WKVMS.mjs";import"./index.mjs";import"./index.mjs";export default a();

import{createRequire as __d2_createRequire}from"node:module";const require=__d2_createRequire(import.meta.url);
import{b as a}from"./chunk-A7DCV64C.mjs";import"./chunk-2XNA5GRQ.mjs";import"./index.mjs";import"./index.mjs";export default a();

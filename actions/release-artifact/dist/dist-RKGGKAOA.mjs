import{createRequire as __d2_createRequire}from"node:module";const require=__d2_createRequire(import.meta.url);
import{b as a}from"./chunk-53TY72EC.mjs";import"./chunk-BWVR4OFX.mjs";import"./chunk-CKYFYTD2.mjs";import"./chunk-BAKELXPE.mjs";export default a();

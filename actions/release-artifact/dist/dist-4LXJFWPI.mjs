import{createRequire as __d2_createRequire}from"node:module";const require=__d2_createRequire(import.meta.url);
import{b as a}from"./chunk-GKH7OI5K.mjs";import"./chunk-53GI5STT.mjs";import"./chunk-BAKELXPE.mjs";export default a();

import{createRequire as __d2_createRequire}from"node:module";const require=__d2_createRequire(import.meta.url);
import{a}from"./chunk-LT5ZHUBC.mjs";import"./chunk-BAKELXPE.mjs";export default a();

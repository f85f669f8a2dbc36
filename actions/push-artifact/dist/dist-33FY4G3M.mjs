import{createRequire as __d2_createRequire}from"node:module";const require=__d2_createRequire(import.meta.url);
import{b as a}from"./chunk-OHHCL2RK.mjs";import"./chunk-4WJDUUSL.mjs";import"./chunk-H3N4CSUO.mjs";import"./chunk-BAKELXPE.mjs";export default a();

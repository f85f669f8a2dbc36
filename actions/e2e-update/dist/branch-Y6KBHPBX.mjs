import{createRequire as __d2_createRequire}from"node:module";const require=__d2_createRequire(import.meta.url);
import{u as a}from"./chunk-JLQXVPXR.mjs";import"./chunk-2WKAPJDU.mjs";import"./index.mjs";import"./index.mjs";import"./index.mjs";export{a as groupBranch};

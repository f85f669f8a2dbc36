import{createRequire as __d2_createRequire}from"node:module";const require=__d2_createRequire(import.meta.url);
import{f as a}from"./chunk-J2T3EJVD.mjs";import"./chunk-WR2VVLLX.mjs";import"./index.mjs";export default a();

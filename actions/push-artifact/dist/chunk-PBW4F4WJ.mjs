import{createRequire as __d2_createRequire}from"node:module";const require=__d2_createRequire(import.meta.url);
import{a as r,c as i}from"./chunk-BAKELXPE.mjs";var o=i((p,e)=>{e.exports=r("node:fs")});export{o as a};

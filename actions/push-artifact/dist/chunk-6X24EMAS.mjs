import{createRequire as __d2_createRequire}from"node:module";const require=__d2_createRequire(import.meta.url);
import{a as e,c as r}from"./chunk-BAKELXPE.mjs";var p=r((s,i)=>{i.exports=e("node:stream")});var q=r((t,o)=>{o.exports=e("node:zlib")});export{p as a,q as b};

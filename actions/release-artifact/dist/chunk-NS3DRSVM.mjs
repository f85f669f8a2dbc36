import{createRequire as __d2_createRequire}from"node:module";const require=__d2_createRequire(import.meta.url);
import{chunk_B7I2SMR2$g as o}from"./index.mjs";import{chunk_BAKELXPE$c as n}from"./index.mjs";var u=n((l,s)=>{"use strict";var c=o(),i=(e,t)=>{let r=c(e,t);return r?r.version:null};s.exports=i});export{u as a};

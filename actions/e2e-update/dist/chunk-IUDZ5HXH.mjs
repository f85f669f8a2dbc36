import{createRequire as __d2_createRequire}from"node:module";const require=__d2_createRequire(import.meta.url);
var t="https://token.actions.githubusercontent.com";export{t as a};

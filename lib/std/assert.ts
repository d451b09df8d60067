/** `@std/assert`, from the npm package `deno-std`, with the types of `assert.d.ts`. @module */
// @ts-types="./assert.d.ts"
export * from "npm:deno-std@1.4.0/assert/mod.js";

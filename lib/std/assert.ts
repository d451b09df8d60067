/**
 * `@std/assert`, from the npm package `deno-std` (JavaScript only), with the types of
 * `assert.d.ts`, so `deno check` catches misuse. deno.json maps `@std/assert` here.
 *
 * @module
 */
// @ts-types="./assert.d.ts"
export * from "npm:deno-std@1.4.0/assert/mod.js";

/**
 * `@std/bytes` (concat, indexOfNeedle), from the npm package `deno-std`, with the types of
 * `bytes.d.ts`. deno.json maps `@std/bytes` here.
 *
 * @module
 */
// @ts-types="./bytes.d.ts"
export * from "npm:deno-std@1.4.0/bytes/mod.js";

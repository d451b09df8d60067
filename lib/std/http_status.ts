/**
 * `@std/http/status`, from the npm package `deno-std`, with the types of `http_status.d.ts`.
 * deno.json maps the name here.
 *
 * @module
 */
// @ts-types="./http_status.d.ts"
export * from "npm:deno-std@1.4.0/http/status.js";

/**
 * `@std/cli/parse-args`, from the npm package `deno-std` (its `cli/mod.js` does not load: a data
 * file is missing), with the types of `parse_args.d.ts`. deno.json maps the name here.
 *
 * @module
 */
// @ts-types="./parse_args.d.ts"
export * from "npm:deno-std@1.4.0/cli/parse_args.js";

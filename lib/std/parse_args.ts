/** `@std/cli/parse-args`, from the npm package `deno-std`, with the types of `parse_args.d.ts`. @module */
// @ts-types="./parse_args.d.ts"
export * from "npm:deno-std@1.4.0/cli/parse_args.js";

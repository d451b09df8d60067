/** `@std/fmt/colors`, from the npm package `deno-std`, with the types of `colors.d.ts`. @module */
// @ts-types="./colors.d.ts"
export * from "npm:deno-std@1.4.0/fmt/colors.js";

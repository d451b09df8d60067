/** `@std/streams/text-line-stream`, from the npm package `deno-std`, with the types of `text_line_stream.d.ts`. @module */
// @ts-types="./text_line_stream.d.ts"
export * from "npm:deno-std@1.4.0/streams/text_line_stream.js";

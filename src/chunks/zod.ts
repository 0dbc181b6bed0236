// Vendor chunk (scripts/lazyChunks.mjs): zod, once for the extension and all its chunks, loaded by the first module
// that builds a schema (the channel client's messages, a command's arguments, a sidebar message), never at
// activation. Only what the sources use is exported, so the chunk keeps zod's tree-shaking (`export *` would carry
// all of zod: 450 KB instead of about 90). A schema function the sources start using is added here; the build
// fails on a missing one (esbuild: "No matching export").
export {
  array, boolean, custom, discriminatedUnion, enum, iso, literal, maxLength, minLength, nullable, number, object, optional, record, regex,
  strictObject, string, union, unknown, url, uuid, ZodError, ZodType,
} from 'zod';
export type { core, infer } from 'zod';

/**
 * English error messages for `zod/mini`, the tree-shakable zod API used in bundled code. Full zod's chained API
 * carries every check and locale into each bundle (about 100 kB of a Lambda bundle); `zod/mini` with this one
 * locale is under 30 kB. Modules that parse import `* as z from 'zod/mini'` and this file for its effect
 * (re-exporting the namespace from here would defeat tree-shaking). Biome forbids full 'zod' in lib/ and
 * functions/. https://zod.dev/packages/mini
 */
import { config, ZodMiniNumber } from 'zod/mini';
import { _coercedNumber } from 'zod/v4/core';
import en from 'zod/v4/locales/en.js';

config(en());

/**
 * `z.coerce.number()`, built the way zod/mini builds it. `z.coerce` is a namespace object, so using it brings
 * every coercing schema (boolean, bigint, date, with their checks: about 1.6 kB) into each bundle; this brings
 * only the number schema.
 */
export function coercedNumber(): ZodMiniNumber<unknown> {
  return _coercedNumber(ZodMiniNumber);
}

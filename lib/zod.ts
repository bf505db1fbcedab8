/**
 * English error messages for `zod/mini`, the tree-shakable zod API used in bundled code. Full zod's chained API
 * carries every check and locale into each bundle (about 100 kB of a Lambda bundle); `zod/mini` with this one
 * locale is under 30 kB. Modules that parse import `* as z from 'zod/mini'` and this file for its effect
 * (re-exporting the namespace from here would defeat tree-shaking). Biome forbids full 'zod' in lib/ and
 * functions/. https://zod.dev/packages/mini
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

// `node --import ./register.mjs out/main/index.js`: the main bundle runs with the stand-in
// `electron` (hooks.mjs) instead of the real module, which would try to download the binary.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);

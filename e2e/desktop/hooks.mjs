// Module hooks for the boot test: `import 'electron'` (and `require('electron')`) get the stand-in.
const FAKE = new URL('./fake-electron.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'electron' || specifier.startsWith('electron/')) {
    return { url: FAKE, format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
}

/**
 * Golden files per example: the exported text is compared with __golden__/NAME/, so that any change
 * to the output is seen in review. Regenerate with `npx vitest run -u src/main/export/golden.test.ts`.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportCompose } from './compose.js';
import { exportKubernetes } from './kubernetes.js';
import { exampleStacks, loadOk } from './testing/support.js';
import { readEnvFileFromDisk } from './write.js';

const GOLDEN = path.join(path.dirname(new URL(import.meta.url).pathname), '__golden__');

describe.each(exampleStacks())('golden export of example $name', ({ name, file }) => {
  it('kubernetes', async () => {
    const r = exportKubernetes(loadOk(file), { readEnvFile: readEnvFileFromDisk });
    for (const f of r.files)
      await expect(f.text).toMatchFileSnapshot(path.join(GOLDEN, name, 'kubernetes', f.path));
  });
  it('compose', async () => {
    const r = exportCompose(loadOk(file), {
      outDir: path.dirname(file),
      readEnvFile: readEnvFileFromDisk,
    });
    await expect(r.files[0]!.text).toMatchFileSnapshot(path.join(GOLDEN, name, 'compose.yaml'));
  });
});

// The floor: the services started directly, in parallel, by a plain script (the physical limit).
import fs from 'node:fs';
import path from 'node:path';
import { start, killGroup } from '../lib/spawn.mjs';
import { FLOOR_LAUNCHER, SERVICE_SCRIPT } from '../lib/workload.mjs';

export function floorConfig(services) {
  return JSON.stringify(
    { script: SERVICE_SCRIPT, services: services.map((s) => ({ env: s.env })) },
    null,
    1,
  );
}

export const floor = {
  name: 'floor',
  label: 'floor',
  describe:
    'a plain Node script spawns every service at once (no health checks, no logs) and spawns a dead one again at once',
  check: () => ({ ok: true }),
  config: (services) => ({ file: 'floor.json', text: floorConfig(services) }),

  async start(dir, services) {
    const file = path.join(dir, 'floor.json');
    fs.writeFileSync(file, floorConfig(services));
    const h = start(process.execPath, [FLOOR_LAUNCHER, file], { cwd: dir });
    return {
      supervisorPids: () => (h.pid ? [h.pid] : []),
      selfReady: null,
      stop: async () => {
        if (h.pid) process.kill(h.pid, 'SIGTERM');
        await h.exited;
        return { code: 0 };
      },
      exited: h.exited,
      cleanup: async () => killGroup(h.pid),
      output: h.output,
    };
  },
};

// The machine a run was made on, without host names or paths.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './workload.mjs';

export function machineInfo(versions = {}) {
  const cpus = os.cpus();
  let vigilVersion = null;
  try {
    vigilVersion = JSON.parse(
      fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'),
    ).version;
  } catch {
    // unknown
  }
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    memoryGB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    vigil: vigilVersion,
    ...versions,
  };
}

export function machineLine(m) {
  const peers = [
    m.pm2 ? `PM2 ${m.pm2}` : null,
    m.supervisord ? `supervisord ${m.supervisord}` : null,
  ]
    .filter(Boolean)
    .join(', ');
  return `${m.cores} cores (${m.cpuModel}), ${m.memoryGB} GB memory, ${m.os}, Node ${m.node}, Vigil ${m.vigil}${peers ? `, ${peers}` : ''}`;
}

/** Replaces this machine's paths in a text (configs shown in reports) with placeholders. */
export function redact(text, runDir) {
  let out = text;
  const pairs = [
    [process.execPath, 'node'],
    [runDir, '<run-dir>'],
    [REPO_ROOT, '<repo>'],
    [os.tmpdir(), '<tmp>'],
    [os.homedir(), '<home>'],
  ];
  for (const [from, to] of pairs) if (from) out = out.split(from).join(to);
  return out;
}

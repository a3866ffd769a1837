/**
 * Port pre-flight: is a declared port already taken, and by whom ("port 5433 is already in use by
 * pid 1234 (node server.js)").
 */
import fs from 'node:fs';
import net from 'node:net';
import { PROC_AVAILABLE, describeProcess, listPids } from './procfs.js';

const CONNECT_TIMEOUT_MS = 500;

function accepts(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const finish = (inUse: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(inUse);
    };
    const timer = setTimeout(() => finish(false), CONNECT_TIMEOUT_MS);
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

function bound(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/**
 * True when something accepts connections on the port or holds it bound. Without `host`, both
 * 127.0.0.1 and ::1 are tried for connections (a service listening on `localhost` may have picked
 * either), and binding is tried on 127.0.0.1.
 */
export async function isPortInUse(port: number, host?: string): Promise<boolean> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`not a TCP port: ${port}`);
  }
  const hosts = host !== undefined ? [host] : ['127.0.0.1', '::1'];
  const answers = await Promise.all(hosts.map((h) => accepts(port, h)));
  if (answers.some(Boolean)) return true;
  return bound(port, host ?? '127.0.0.1');
}

/** Socket inodes of listening TCP sockets on `port` in the text of /proc/net/tcp or tcp6. */
export function parseListeningInodes(table: string, port: number): number[] {
  const inodes: number[] = [];
  const lines = table.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const cols = lines[i]!.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    const local = cols[1];
    if (!local || cols[3] !== '0A') continue;
    const hexPort = local.slice(local.lastIndexOf(':') + 1);
    if (parseInt(hexPort, 16) !== port) continue;
    const inode = Number(cols[9]);
    if (Number.isInteger(inode) && inode > 0) inodes.push(inode);
  }
  return inodes;
}

/** The process that listens on `port` (the lowest pid when several share the socket), or null. */
export function findPortHolder(port: number): { pid: number; command: string } | null {
  if (!PROC_AVAILABLE) return null;
  const inodes = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const inode of parseListeningInodes(fs.readFileSync(table, 'utf8'), port)) {
        inodes.add(inode);
      }
    } catch {
      // no IPv6, or not readable
    }
  }
  if (inodes.size === 0) return null;
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`));
  for (const pid of listPids().sort((a, b) => a - b)) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (wanted.has(target)) return { pid, command: describeProcess(pid) };
    }
  }
  return null;
}

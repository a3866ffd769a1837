import { describe, expect, it } from 'vitest';
import { parseListeningInodes } from './ports.js';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1539 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 11111 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22222 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1539 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 33333 1 0000000000000000 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1539 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 44444 1 0000000000000000 100 0 0 10 0
`;

describe('parseListeningInodes', () => {
  it('finds listening sockets on the port (5433 = 0x1539), not established ones', () => {
    expect(parseListeningInodes(TCP, 5433)).toEqual([11111]);
    expect(parseListeningInodes(TCP, 8080)).toEqual([22222]);
    expect(parseListeningInodes(TCP, 9999)).toEqual([]);
  });

  it('reads IPv6 tables', () => {
    expect(parseListeningInodes(TCP6, 5433)).toEqual([44444]);
  });
});

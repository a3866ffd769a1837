import { describe, expect, it } from 'vitest';
import { LineSplitter, truncationMarker, utf8SafeLength } from './lines.js';

function split(chunks: (string | Buffer)[], max?: number): string[] {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l), max);
  for (const c of chunks) s.push(typeof c === 'string' ? Buffer.from(c) : c);
  s.end();
  return lines;
}

describe('LineSplitter', () => {
  it('splits lines within and across chunks, keeping empty lines', () => {
    expect(split(['a\nb', 'c\n\nd'])).toEqual(['a', 'bc', '', 'd']);
  });

  it('emits nothing at end when the stream ended with a newline', () => {
    expect(split(['one\ntwo\n'])).toEqual(['one', 'two']);
  });

  it('treats \\r\\n like \\n, also when the \\r ends a chunk', () => {
    expect(split(['a\r\nb\r', '\nc'])).toEqual(['a', 'b', 'c']);
  });

  it('decodes a multibyte character split across chunks', () => {
    const euro = Buffer.from('€\n'); // e2 82 ac 0a
    expect(split([euro.subarray(0, 1), euro.subarray(1, 2), euro.subarray(2)])).toEqual(['€']);
  });

  it('replaces invalid UTF-8 and NUL bytes with U+FFFD', () => {
    expect(split([Buffer.from([0x66, 0x80, 0x6f, 0x0a, 0x61, 0x00, 0x62, 0x0a])])).toEqual([
      'f\uFFFDo',
      'a\uFFFDb',
    ]);
  });

  it('keeps ANSI escapes', () => {
    expect(split(['\x1b[31mred\x1b[0m\n'])).toEqual(['\x1b[31mred\x1b[0m']);
  });

  it('cuts an over-long line and counts the dropped bytes, across many chunks', () => {
    const chunk = Buffer.alloc(1000, 0x78);
    const lines = split([chunk, chunk, chunk, Buffer.from('\nnext\n')], 1500);
    expect(lines).toEqual(['x'.repeat(1500) + truncationMarker(1500), 'next']);
  });

  it('cuts an over-long line inside a single chunk', () => {
    expect(split(['abcdefgh\nok\n'], 4)).toEqual(['abcd' + truncationMarker(4), 'ok']);
  });

  it('never cuts in the middle of a multibyte character', () => {
    // 'aé' = 61 c3 a9; a limit of 2 bytes would split é
    expect(split(['aéz\n'], 2)).toEqual(['a' + truncationMarker(3)]);
  });

  it('ends a truncated line that had no newline', () => {
    expect(split(['abcdef'], 3)).toEqual(['abc' + truncationMarker(3)]);
  });
});

/** What splitting must produce, computed on the whole stream at once. */
function reference(stream: Buffer, max: number): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < stream.length) {
    let nl = stream.indexOf(0x0a, start);
    const last = nl < 0;
    if (last) nl = stream.length;
    const bytes = stream.subarray(start, nl);
    const decode = (b: Buffer): string => {
      const end = b.length > 0 && b[b.length - 1] === 0x0d ? b.length - 1 : b.length;
      return b.toString('utf8', 0, end).replace(/\0/g, '\uFFFD');
    };
    if (bytes.length <= max) out.push(decode(bytes));
    else {
      const keep = utf8SafeLength(bytes.subarray(0, max));
      out.push(decode(bytes.subarray(0, keep)) + truncationMarker(bytes.length - keep));
    }
    start = nl + 1;
  }
  return out;
}

describe('LineSplitter against a whole-stream reference', () => {
  it('gives the same lines for any chunking of a messy stream', () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pieces = ['a', 'é', '€', '😀', '\n', '\r\n', '\0', '\x1b[1m', 'xxxxxxxxxxxxxxxx'];
    for (let round = 0; round < 200; round++) {
      const parts: Buffer[] = [];
      const n = 1 + rand(120);
      for (let i = 0; i < n; i++) {
        parts.push(
          rand(10) === 0
            ? Buffer.from([0x80 + rand(0x7f)])
            : Buffer.from(pieces[rand(pieces.length)]!),
        );
      }
      const stream = Buffer.concat(parts);
      const max = 1 + rand(40);
      const chunks: Buffer[] = [];
      for (let pos = 0; pos < stream.length;) {
        const len = 1 + rand(60);
        chunks.push(stream.subarray(pos, pos + len));
        pos += len;
      }
      expect(split(chunks, max)).toEqual(reference(stream, max));
    }
  });
});

describe('utf8SafeLength', () => {
  it('drops an incomplete trailing sequence only', () => {
    expect(utf8SafeLength(Buffer.from([0x61, 0xe2, 0x82]))).toBe(1);
    expect(utf8SafeLength(Buffer.from('a€'))).toBe(4);
    expect(utf8SafeLength(Buffer.from([0x61, 0xf0, 0x9f, 0x98]))).toBe(1);
    expect(utf8SafeLength(Buffer.from('ab'))).toBe(2);
  });
});

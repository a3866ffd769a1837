/**
 * Splits a byte stream into text lines. Bytes are kept until a line is complete and decoded per
 * line, so a multibyte character split across chunks decodes correctly; invalid UTF-8 becomes
 * U+FFFD, NUL bytes become U+FFFD, `\r\n` ends a line like `\n`, ANSI escapes pass through.
 *
 * Memory is bounded by `maxLineBytes`: past it, the rest of the line is only counted, never kept,
 * and the line ends with ` … [truncated N bytes]`.
 */

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

const NEWLINE = 0x0a;
const CR = 0x0d;

export function truncationMarker(droppedBytes: number): string {
  return ` … [truncated ${droppedBytes} bytes]`;
}

/** Length of `buf` without a trailing incomplete UTF-8 sequence (so a cut never splits a char). */
export function utf8SafeLength(buf: Buffer): number {
  const n = buf.length;
  // Walk back over at most 3 continuation bytes to the lead byte of the last character.
  for (let back = 1; back <= 4 && back <= n; back++) {
    const b = buf[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

function decodeLine(bytes: Buffer): string {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === CR) end -= 1;
  const text = bytes.toString('utf8', 0, end);
  return text.includes('\0') ? text.replace(/\0/g, '\uFFFD') : text;
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    let pos = 0;
    if (this.kept === 0 && this.dropped === 0) {
      // Fast path: the complete lines of a chunk no longer than the limit are decoded at once and
      // split as text (a newline byte never occurs inside a UTF-8 sequence, so this decodes
      // exactly like line by line).
      const lastNl = chunk.lastIndexOf(NEWLINE);
      if (lastNl >= 0 && lastNl <= this.maxLineBytes) {
        let text = chunk.toString('utf8', 0, lastNl);
        if (text.includes('\0')) text = text.replace(/\0/g, '\uFFFD');
        for (const line of text.split('\n')) {
          this.emit(line.charCodeAt(line.length - 1) === CR ? line.slice(0, -1) : line);
        }
        pos = lastNl + 1;
      }
    }
    while (pos < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, pos);
      const end = nl < 0 ? chunk.length : nl;
      if (nl >= 0 && this.kept === 0 && this.dropped === 0 && end - pos <= this.maxLineBytes) {
        // The common case: a whole line inside one chunk.
        this.emit(decodeLine(chunk.subarray(pos, end)));
      } else {
        this.keep(chunk.subarray(pos, end));
        if (nl >= 0) this.flushPending();
      }
      if (nl < 0) break;
      pos = nl + 1;
    }
  }

  /** Emits a last line that had no newline, if any. */
  end(): void {
    if (this.kept > 0 || this.dropped > 0) this.flushPending();
  }

  private keep(piece: Buffer): void {
    if (piece.length === 0) return;
    const room = this.maxLineBytes - this.kept;
    if (this.dropped === 0 && piece.length <= room) {
      // Copy: the chunk's memory belongs to the stream and may be large.
      this.parts.push(Buffer.from(piece));
      this.kept += piece.length;
      return;
    }
    if (room > 0 && this.dropped === 0) {
      this.parts.push(Buffer.from(piece.subarray(0, room)));
      this.kept += room;
      this.dropped += piece.length - room;
    } else {
      this.dropped += piece.length;
    }
  }

  private flushPending(): void {
    let bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.kept);
    let dropped = this.dropped;
    this.parts = [];
    this.kept = 0;
    this.dropped = 0;
    if (dropped > 0) {
      const safe = utf8SafeLength(bytes);
      dropped += bytes.length - safe;
      bytes = bytes.subarray(0, safe);
      // A `\r` before the newline is part of the dropped tail, not of the kept text.
      this.emit(decodeLine(bytes) + truncationMarker(dropped));
    } else {
      this.emit(decodeLine(bytes));
    }
  }

  private emit(line: string): void {
    this.onLine(line);
  }
}

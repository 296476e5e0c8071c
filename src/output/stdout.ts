// Buffered writes to a file descriptor: one write system call per 64 KiB instead of one per line,
// which is most of the difference between a fast and a slow headless run. A closed pipe
// (`tcpwatch … | head`) ends output quietly, as it does for tshark and tcpdump.

import * as fs from 'node:fs';
import { TextWriter, decimalDigits } from './text-writer';
import { encodeSafeText, sanitizeText } from './sanitize';

const FLUSH_AT = 64 * 1024;
// Strings up to this length are encoded by a loop here: for the short pieces a summary line is made
// of, that is cheaper than a call into Buffer.write.
const SHORT_STRING = 32;

export class OutputBuffer implements TextWriter {
  // Text is encoded straight into one reused buffer: no array of parts to join, no per-line Buffer.
  private buf = Buffer.allocUnsafe(FLUSH_AT * 2);
  private used = 0;
  closed = false;

  constructor(private readonly fd = 1) {}

  write(s: string): void {
    if (this.closed) return;
    if (s.length > FLUSH_AT) {
      this.writeLong(s);
      return;
    }
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const worst = s.length * 3;
    if (this.used + worst > this.buf.length) {
      this.flush();
      if (worst > this.buf.length) this.buf = Buffer.allocUnsafe(worst);
    }
    if (s.length <= SHORT_STRING) this.used = encodeShort(s, this.buf, this.used);
    else this.used += this.buf.write(s, this.used, 'utf8');
    if (this.used >= FLUSH_AT) this.flush();
  }

  /**
   * Packet text checked and encoded in one pass with the sanitizer's table; only text that needs an
   * escape goes through sanitizeText (and is written as the sanitizer returns it).
   */
  writeSanitized(s: string): void {
    if (this.closed) return;
    const worst = s.length * 3;
    if (s.length > FLUSH_AT || this.used + worst > this.buf.length) {
      this.write(sanitizeText(s));
      return;
    }
    const end = encodeSafeText(s, this.buf, this.used);
    if (end < 0) {
      this.write(sanitizeText(s));
      return;
    }
    this.used = end;
    if (this.used >= FLUSH_AT) this.flush();
  }

  /** A long string in pieces of FLUSH_AT code units (a surrogate pair kept in one), so the buffer never grows past 3 * FLUSH_AT. */
  private writeLong(s: string): void {
    for (let p = 0; p < s.length && !this.closed;) {
      let end = Math.min(s.length, p + FLUSH_AT);
      const c = s.charCodeAt(end - 1);
      if (end < s.length && c >= 0xd800 && c <= 0xdbff) end--;
      this.write(s.substring(p, end));
      p = end;
    }
  }

  writeUInt(n: number, width = 0, zeroPad = false): void {
    if (this.closed) return;
    if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Number.isInteger(n))) {
      // Not what the digit loop is for; String() says it as a string builder would.
      this.write(width > 0 ? String(n).padStart(width, zeroPad ? '0' : ' ') : String(n));
      return;
    }
    if (this.used + 20 + width > this.buf.length) this.flush();
    const b = this.buf;
    const digits = decimalDigits(n);
    let p = this.used;
    for (let pad = width - digits; pad > 0; pad--) b[p++] = zeroPad ? 48 : 32;
    const end = p + digits;
    let q = end - 1, v = n;
    // Above 32 bits, floating division; below, the integer division the JIT makes cheap.
    for (; v >= 4294967296; q--) {
      const next = Math.floor(v / 10);
      b[q] = 48 + (v - next * 10);
      v = next;
    }
    for (let u = v >>> 0; q >= p; q--) {
      const next = (u / 10) >>> 0;
      b[q] = 48 + (u - next * 10);
      u = next;
    }
    this.used = end;
  }

  /** One ASCII character (a separator). */
  writeByte(c: number): void {
    if (this.closed) return;
    if (this.used + 1 > this.buf.length) this.flush();
    this.buf[this.used++] = c;
  }

  flush(): void {
    if (this.used === 0 || this.closed) return;
    let p = 0;
    while (p < this.used) {
      try {
        p += fs.writeSync(this.fd, this.buf, p, this.used - p);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'EAGAIN') { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); continue; }
        if (err.code === 'EPIPE') { this.closed = true; break; }
        throw e;
      }
    }
    this.used = 0;
  }
}

/** UTF-8 of a short string at p (room for 3 bytes per code unit is there); returns the end. */
function encodeShort(s: string, b: Buffer, p: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      b[p++] = c;
    } else if (c < 0x800) {
      b[p++] = 0xc0 | (c >> 6);
      b[p++] = 0x80 | (c & 63);
    } else if (c < 0xd800 || c > 0xdfff) {
      b[p++] = 0xe0 | (c >> 12);
      b[p++] = 0x80 | ((c >> 6) & 63);
      b[p++] = 0x80 | (c & 63);
    } else {
      // Surrogates (pairs, or lone ones that become U+FFFD): Buffer.write knows the rules.
      return p + b.write(s.substring(i), p, 'utf8');
    }
  }
  return p;
}

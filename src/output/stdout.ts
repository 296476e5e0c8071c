// Buffered writes to a file descriptor: one write system call per 64 KiB instead of one per line,
// which is most of the difference between a fast and a slow headless run. A closed pipe
// (`tcpwatch … | head`) ends output quietly, as it does for tshark and tcpdump.

import * as fs from 'node:fs';

const FLUSH_AT = 64 * 1024;

export class OutputBuffer {
  // Text is encoded straight into one reused buffer: no array of parts to join, no per-line Buffer.
  private buf = Buffer.allocUnsafe(FLUSH_AT * 2);
  private used = 0;
  closed = false;

  constructor(private readonly fd = 1) {}

  write(s: string): void {
    if (this.closed) return;
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const worst = s.length * 3;
    if (this.used + worst > this.buf.length) {
      this.flush();
      if (worst > this.buf.length) this.buf = Buffer.allocUnsafe(worst);
    }
    this.used += this.buf.write(s, this.used, 'utf8');
    if (this.used >= FLUSH_AT) this.flush();
  }

  /** A non-negative whole number as decimal digits, written without making a string. */
  writeUInt(n: number): void {
    if (this.closed) return;
    if (this.used + 20 > this.buf.length) this.flush();
    const b = this.buf;
    let end = this.used;
    if (n < 10) {
      b[end++] = 48 + n;
    } else {
      let digits = 0;
      for (let v = n; v >= 1; v = Math.floor(v / 10)) digits++;
      end += digits;
      for (let p = end - 1, v = n; p >= this.used; p--) {
        const q = Math.floor(v / 10);
        b[p] = 48 + (v - q * 10);
        v = q;
      }
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

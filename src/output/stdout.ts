// Buffered writes to a file descriptor: one write system call per 64 KiB instead of one per line,
// which is most of the difference between a fast and a slow headless run. A closed pipe
// (`tcpwatch … | head`) ends output quietly, as it does for tshark and tcpdump.

import * as fs from 'node:fs';

const FLUSH_AT = 64 * 1024;

export class OutputBuffer {
  private parts: string[] = [];
  private size = 0;
  closed = false;

  constructor(private readonly fd = 1) {}

  write(s: string): void {
    if (this.closed) return;
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= FLUSH_AT) this.flush();
  }

  flush(): void {
    if (this.size === 0 || this.closed) return;
    const data = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.size = 0;
    let p = 0;
    while (p < data.length) {
      try {
        p += fs.writeSync(this.fd, data, p, data.length - p);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'EAGAIN') { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); continue; }
        if (err.code === 'EPIPE') { this.closed = true; return; }
        throw e;
      }
    }
  }
}

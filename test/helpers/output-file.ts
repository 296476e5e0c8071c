// What an OutputBuffer writes to a real file: for tests of the bytes tcpwatch's output carries.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OutputBuffer } from '../../src/output/stdout';

export function throughFile(fill: (out: OutputBuffer) => void): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-out-'));
  try {
    const file = path.join(dir, 'out');
    const fd = fs.openSync(file, 'w');
    const out = new OutputBuffer(fd);
    fill(out);
    out.flush();
    fs.closeSync(fd);
    return fs.readFileSync(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Shows the bug that src/capture/live.ts guards against: cap keeps only a raw pointer to the Buffer
// given to open(), so if nothing in JavaScript holds that Buffer, the garbage collector frees it
// while libpcap keeps copying packets into it, and the process dies of heap corruption.
//
//   node dist/scripts/demo-cap-buffer.js            runs both cases below in child processes
//   node dist/scripts/demo-cap-buffer.js unheld     the Buffer is passed to open() and dropped
//   node dist/scripts/demo-cap-buffer.js held       the same, with the Buffer kept reachable
//
// Each case captures a bounded UDP load on lo (50k packets/s for 4 s) and forces a full garbage
// collection every 50 ms. Needs root (or CAP_NET_RAW) and python3.

import { spawnSync } from 'node:child_process';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { loadCap, CapHandle } from '../src/capture/cap-binding';
import { prepareUdpLoad, LOAD_TAG } from './loopback-load';

const RATE = 50_000;
const SECONDS = 4;

let keep: Buffer | null = null;

function openCapture(port: number, hold: boolean, onPacket: (n: number) => void): CapHandle {
  const { Cap } = loadCap();
  const c = new Cap();
  const buffer = Buffer.alloc(65536);
  c.open('lo', `udp port ${port}`, 16 * 1024 * 1024, buffer);
  if (hold) keep = buffer;
  // The listener must not mention `buffer`, or its closure would hold it.
  c.on('packet', (n: number) => onPacket(n));
  return c;
}

async function runCase(hold: boolean): Promise<void> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const load = await prepareUdpLoad(RATE, SECONDS);
  let packets = 0;
  const cap = openCapture(load.port, hold, () => packets++);
  const gcTimer = setInterval(() => {
    gc();
    // Churn the heap so that freed memory is handed out again.
    for (let i = 0; i < 200; i++) Buffer.alloc(1024 + i).fill(i);
  }, 50);
  const sent = await load.go();
  clearInterval(gcTimer);
  cap.close();
  void keep;
  process.stdout.write(`${hold ? 'held' : 'unheld'}: captured ${packets} of ${sent.sent} packets, tag ${LOAD_TAG.toString(16)}, no crash\n`);
}

function runBoth(): void {
  for (const mode of ['unheld', 'held']) {
    const r = spawnSync(process.execPath, [__filename, mode], { encoding: 'utf8', timeout: 30_000 });
    const how = r.signal !== null ? `killed by ${r.signal}` : `exit status ${r.status}`;
    const lines = (r.stdout + r.stderr).trim().split('\n');
    // glibc's own words for the corruption it found, else the last line.
    const tail = lines.find((l) => /corrupt|malloc|free\(\)|double|Segmentation|Abort|no crash/i.test(l)) ?? lines[lines.length - 1];
    process.stdout.write(`${mode.padEnd(6)} ${how.padEnd(20)} ${tail}\n`);
  }
}

const mode = process.argv[2];
if (mode === 'held' || mode === 'unheld') {
  runCase(mode === 'held').catch((e) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  });
} else {
  runBoth();
}

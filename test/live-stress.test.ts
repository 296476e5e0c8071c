// A long, fast capture in this process: about 100k UDP packets/s on lo for 10 s, while the garbage
// collector is forced to run every 100 ms. cap keeps only a raw pointer to the Buffer libpcap
// copies into; if that Buffer were collected, these conditions corrupt the heap within seconds
// (scripts/demo-cap-buffer.ts shows the abort). Here the capture must survive, every frame must be
// the datagram that was sent, the frames kept in a FrameSpool must read back, and memory must
// stay flat while the spool spills to disk.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { LiveCapture, openCaptureCount } from '../src/capture/live';
import { CapturedFrame } from '../src/capture/frame';
import { FrameSpool } from '../src/capture/spill';
import { LINKTYPE } from '../src/decode/link';
import { prepareUdpLoad, LOAD_TAG, LOAD_PAYLOAD_LEN } from '../scripts/loopback-load';
import { have, isRoot } from './helpers/system';

const RATE = 100_000;
const SECONDS = 10;
const SPOOL_BUDGET = 16 * 1024 * 1024;
// Ethernet + IPv4 + UDP headers before the payload's tag and sequence number.
const PAYLOAD_OFF = 14 + 20 + 8;
const MiB = 1024 * 1024;

const canRun = isRoot && have('python3');

test('100k packets/s on lo for 10 s with forced GCs: no crash, frames intact, memory flat', { skip: canRun ? false : 'needs root and python3', timeout: 40_000 }, async (t) => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const load = await prepareUdpLoad(RATE, SECONDS);
  const spool = new FrameSpool({ memoryBudgetBytes: SPOOL_BUDGET, linkType: LINKTYPE.ETHERNET });
  let frames = 0;
  let damaged = 0;
  let outOfOrder = 0;
  let lastSeq = -1;
  const onFrame = (f: CapturedFrame): void => {
    frames++;
    if (f.capLen !== PAYLOAD_OFF + LOAD_PAYLOAD_LEN || f.origLen !== f.capLen || f.buf.readUInt32BE(f.off + PAYLOAD_OFF) !== LOAD_TAG) {
      damaged++;
      return;
    }
    const seq = f.buf.readUInt32BE(f.off + PAYLOAD_OFF + 4);
    if (seq <= lastSeq) outOfOrder++;
    lastSeq = seq;
    spool.append(f);
  };
  const capture = LiveCapture.open({ device: 'lo', filter: `udp port ${load.port}` }, onFrame);
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(process.memoryUsage.rss()), 500);
  const collector = setInterval(() => {
    gc();
    // Churn the heap so memory the collector frees is handed out again at once.
    for (let i = 0; i < 200; i++) Buffer.alloc(1024 + i).fill(i);
  }, 100);
  const cpu0 = process.cpuUsage();
  let sent: { sent: number; seconds: number };
  try {
    sent = await load.go();
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    clearInterval(collector);
    clearInterval(sampler);
    capture.close();
    load.kill();
  }
  const cpu = process.cpuUsage(cpu0);
  try {
    assert.equal(openCaptureCount(), 0);
    const share = frames / sent.sent;
    t.diagnostic(`sent ${sent.sent} in ${sent.seconds} s; captured ${frames} (${(share * 100).toFixed(2)}%), ` +
      `${capture.framesSkipped} skipped (fell behind ${capture.fallBehindEpisodes} times); CPU ${((cpu.user + cpu.system) / 1e4 / sent.seconds).toFixed(0)}% of a core`);
    assert.ok(sent.sent >= RATE * SECONDS * 0.95, `the machine is too busy for this test: the load sent only ${sent.sent} datagrams in ${sent.seconds} s`);
    assert.equal(damaged, 0, 'frames whose bytes are not the datagram sent');
    assert.equal(outOfOrder, 0, 'frames out of order');
    // Loss here is libpcap's ring overflowing (about 2000 packets, 20 ms of this load, in the default
    // 128 MiB on lo) while this process is not scheduled or collects garbage: on two cores shared with other
    // work it has been 0-30%. The capture must run the whole time; the share tcpwatch reaches is
    // what scripts/bench-capture.ts measures.
    assert.ok(share > 0.5, `captured only ${(share * 100).toFixed(1)}%`);

    // Memory: after the spool's chunks are full (16 MiB at 76 bytes per frame, ~2 s), RSS stays flat
    // but for the spool's 8-byte index per frame.
    const settled = rss[Math.min(5, rss.length - 1)];
    const peak = Math.max(...rss.slice(5));
    t.diagnostic(`RSS at 2.5 s ${(settled / MiB).toFixed(0)} MiB, peak after ${(peak / MiB).toFixed(0)} MiB; spool ${(spool.bytesInMemory / MiB).toFixed(1)} MiB in memory, ${(spool.bytesOnDisk / MiB).toFixed(1)} MiB on disk`);
    assert.ok(spool.chunkMemory <= SPOOL_BUDGET, `spool holds ${spool.chunkMemory} bytes in memory`);
    assert.ok(spool.bytesOnDisk > 0, 'nothing was spilled');
    assert.ok(peak - settled < 48 * MiB, `RSS grew by ${((peak - settled) / MiB).toFixed(0)} MiB`);

    // Frames read back from disk and memory are the datagrams, in order.
    const f = new CapturedFrame();
    let prev = -1;
    for (let i = 0; i < spool.count; i += 997) {
      spool.read(i, f);
      assert.equal(f.buf.readUInt32BE(f.off + PAYLOAD_OFF), LOAD_TAG, `spooled frame ${i}`);
      const seq = f.buf.readUInt32BE(f.off + PAYLOAD_OFF + 4);
      assert.ok(seq > prev, `spooled frame ${i} in order`);
      prev = seq;
    }
  } finally {
    spool.close();
  }
});

test('an analysis slower than the traffic still lets the event loop run (Ctrl-C, timers, UI), and every frame is still captured', { skip: canRun ? false : 'needs root and python3', timeout: 30_000 }, async (t) => {
  // 20k packets/s for 3 s against an analysis that spends 200 µs per frame (5k frames/s): without the
  // batch limit, cap's drain loop would keep the event loop for the whole run.
  const load = await prepareUdpLoad(20_000, 3);
  let handled = 0;
  let captured = 0;
  let capturedInOrder = true;
  let lastSeq = -1;
  const capture = LiveCapture.open({ device: 'lo', filter: `udp port ${load.port}` }, (f) => {
    captured++;
    const seq = f.buf.readUInt32BE(f.off + PAYLOAD_OFF + 4);
    if (seq <= lastSeq) capturedInOrder = false;
    lastSeq = seq;
  }, () => {
    handled++;
    const until = performance.now() + 0.2;
    while (performance.now() < until) {
      // a slow consumer
    }
  });
  let last = performance.now();
  let worstGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    worstGap = Math.max(worstGap, now - last);
    last = now;
  }, 10);
  try {
    await load.go();
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    clearInterval(ticker);
    capture.close();
    load.kill();
  }
  t.diagnostic(`received ${capture.framesReceived}, handled ${handled}, skipped ${capture.framesSkipped} in ${capture.fallBehindEpisodes} batches; longest event-loop gap ${worstGap.toFixed(0)} ms`);
  assert.equal(handled + capture.framesSkipped, capture.framesReceived);
  assert.ok(capture.framesSkipped > 0, 'the analysis never fell behind; nothing was tested');
  // What falls behind is analysis: the capture handler (the -w file, the spool) saw every frame.
  assert.equal(captured, capture.framesReceived, 'frames the capture handler saw');
  assert.ok(capturedInOrder, 'captured frames in the order sent');
  // One batch may run MAX_BATCH_MS before skipping starts; the rest of it drains at cap's speed.
  assert.ok(worstGap < 1000, `the event loop was held for ${worstGap.toFixed(0)} ms`);
});

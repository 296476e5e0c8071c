// Run by test/analysis-reassembly.test.ts as `node --expose-gc reassembly-bulk.js --measure`: a 1 GiB
// one-way TCP stream built in memory (no file), with reordered pairs, retransmissions and holes that
// never fill, fed through the pipeline with a reassembly cap. Prints what it measured as JSON: bytes
// delivered, skipped and retransmitted, and the largest growth of V8 heap plus ArrayBuffer memory over
// the baseline. Without --measure (as when `node --test dist/test/` loads every file under test/) it
// does nothing.

import { CapturedFrame } from '../../src/capture/frame';
import { Pipeline } from '../../src/pipeline';
import { Dissection } from '../../src/decode/dissection';

if (process.argv.includes('--measure')) measure();

function measure(): void {
  const TOTAL = 1 << 30;
  const SEG = 60_000; // fits an IPv4 datagram
  const CAP = 8 * 1024 * 1024;
  const PERIOD = 251; // pattern period: prime, so segment boundaries fall everywhere in it
  const HOLE_EVERY = 4000; // segments (about 240 MB)
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

  const pattern = Buffer.alloc(PERIOD + SEG);
  for (let i = 0; i < pattern.length; i++) pattern[i] = (i % PERIOD) * 7 + 3;

  const errors: string[] = [];
  let expected = 0;
  let delivered = 0;
  const pipeline = new Pipeline({ sink: null, reassembly: { maxBufferedBytes: CAP } });
  pipeline.streams.addConsumer({
    data(_d: Dissection, _stream: number, _dir: number, buf: Buffer, off: number, len: number, streamOffset: number) {
      if (streamOffset !== expected && errors.length < 5) errors.push(`chunk at ${streamOffset}, expected ${expected}`);
      const p = streamOffset % PERIOD;
      if (pattern.compare(buf, off, off + len, p, p + len) !== 0 && errors.length < 5) errors.push(`wrong bytes at ${streamOffset}`);
      expected = streamOffset + len;
      delivered += len;
    },
    gap(_d: Dissection, _stream: number, _dir: number, streamOffset: number, len: number) {
      if (streamOffset !== expected && errors.length < 5) errors.push(`gap at ${streamOffset}, expected ${expected}`);
      expected = streamOffset + len;
    },
  });

  // Ethernet + IPv4 + TCP header, then the payload; one buffer reused for every frame.
  const HDR = 14 + 20 + 20;
  const frameBuf = Buffer.alloc(HDR + SEG);
  frameBuf.writeUInt16BE(0x0800, 12);
  frameBuf[14] = 0x45;
  frameBuf[14 + 8] = 64;
  frameBuf[14 + 9] = 6;
  frameBuf.writeUInt32BE(0x0a000001, 14 + 12);
  frameBuf.writeUInt32BE(0x0a000002, 14 + 16);
  frameBuf.writeUInt16BE(40200, 34);
  frameBuf.writeUInt16BE(9, 36);
  const ISN = 0xfff00000; // the sequence numbers wrap past 2^32 early on
  const f = new CapturedFrame();
  f.buf = frameBuf;
  f.linkType = 1;
  let t = 1_700_000_000;
  let nsec = 0;
  let sent = 0;

  function send(flags: number, offset: number, len: number): void {
    frameBuf.writeUInt16BE(20 + 20 + len, 14 + 2);
    frameBuf.writeUInt32BE((ISN + 1 + offset) >>> 0, 34 + 4);
    frameBuf.writeUInt32BE(1, 34 + 8);
    frameBuf.writeUInt16BE((5 << 12) | flags, 34 + 12);
    frameBuf.writeUInt16BE(65535, 34 + 14);
    if (len > 0) pattern.copy(frameBuf, HDR, offset % PERIOD, (offset % PERIOD) + len);
    f.off = 0;
    f.capLen = f.origLen = HDR + len;
    nsec += 10_000;
    if (nsec >= 1e9) { t++; nsec -= 1e9; }
    f.tsSec = t;
    f.tsNsec = nsec;
    pipeline.handle(f);
    sent += len;
  }

  send(0x002, -1, 0); // SYN at the ISN
  gc();
  const base = process.memoryUsage();
  const baseline = base.heapUsed + base.arrayBuffers;
  let peakGrowth = 0;
  const started = process.hrtime.bigint();
  const nSeg = Math.ceil(TOTAL / SEG);
  let lost = 0;
  let frames = 0;
  for (let i = 0; i < nSeg; i++) {
    const off = i * SEG;
    const len = Math.min(SEG, TOTAL - off);
    const nextOff = off + len;
    if (i % HOLE_EVERY === 1000) {
      lost += len; // never sent: a hole that no later segment fills
    } else if (i % 97 === 5 && nextOff < TOTAL) {
      // the next segment first, then this one (reordered)
      const len2 = Math.min(SEG, TOTAL - nextOff);
      send(0x018, nextOff, len2);
      send(0x018, off, len);
      frames += 2;
      i++;
    } else {
      send(0x018, off, len);
      frames++;
      if (i % 101 === 7) { send(0x018, off, len); frames++; } // retransmitted
    }
    if (i % 512 === 0) {
      gc();
      const m = process.memoryUsage();
      peakGrowth = Math.max(peakGrowth, m.heapUsed + m.arrayBuffers - baseline);
    }
  }
  gc();
  const end = process.memoryUsage();
  peakGrowth = Math.max(peakGrowth, end.heapUsed + end.arrayBuffers - baseline);
  const st = pipeline.streams.reassembly.stats(0, 0)!;
  process.stdout.write(JSON.stringify({
    bytes: TOTAL, delivered, skipped: st.skipped, lost, retransmitted: st.retransmitted, sent, cap: CAP,
    peakGrowth, frames, seconds: Number(process.hrtime.bigint() - started) / 1e9, errors,
    statsDelivered: st.delivered, buffered: st.buffered, bufferedPeak: st.bufferedPeak,
  }) + '\n');
}

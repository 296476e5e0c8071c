// TCP out-of-order reassembly under hostile segment orders (src/analysis/reassembly.ts): 100,000
// one-byte segments sent last byte first (scripts/attacks/tcp-ooo-flood.ts) cost time linear in their
// number and memory within the per-stream caps; beyond the cap on held segments the oldest hole is
// given up and counted. Segments in a random order, repeated and overlapping, still come out as the
// stream, each byte once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CapturedFrame } from '../src/capture/frame';
import { Pipeline } from '../src/pipeline';
import { Dissection } from '../src/decode/dissection';
import { DEFAULT_MAX_HELD_SEGMENTS, StreamConsumer } from '../src/analysis/reassembly';
import { TlsAnalyzer } from '../src/tls/analyzer';
import { tcpOooFloodFrames, tcpOooFloodPcap } from '../scripts/attacks/tcp-ooo-flood';
import { runMeasured } from './helpers/peak-rss';
import { Builder, seg, A, P, S, LINKTYPE_ETHERNET } from './helpers/tcp-scenarios';

const SEGMENTS = 100_000;
/** Wall time for the flood through the command line (node's start and 100,000 output lines included). */
const CLI_SECONDS = 2;
/** Peak resident set size of that run: node itself takes about 60 MB. */
const CLI_PEAK_RSS = 160 * 1024 * 1024;
/** Time for the flood through reassembly and the TLS analyzer in this process. */
const PIPELINE_SECONDS = 1;

class Collector implements StreamConsumer {
  bytes: number[] = [];
  gaps = 0;
  gapBytes = 0;
  data(_d: Dissection, _stream: number, dir: number, buf: Buffer, off: number, len: number, streamOffset: number): void {
    if (dir !== 0) return;
    assert.equal(streamOffset, this.bytes.length + this.gapBytes, 'chunks come in stream order');
    for (let i = 0; i < len; i++) this.bytes.push(buf[off + i]);
  }
  gap(_d: Dissection, _stream: number, dir: number, streamOffset: number, len: number): void {
    if (dir !== 0) return;
    assert.equal(streamOffset, this.bytes.length + this.gapBytes);
    this.gaps++;
    this.gapBytes += len;
  }
}

function feed(p: Pipeline, frames: Buffer[]): void {
  const f = new CapturedFrame();
  for (const b of frames) p.handle(f.wrap(b, LINKTYPE_ETHERNET));
}

for (const stride of [1, 2]) {
  const how = stride === 1 ? 'last byte first' : 'every other byte, last first';
  test(`${SEGMENTS} one-byte segments, ${how}: the command line reads them in under ${CLI_SECONDS} s and ${CLI_PEAK_RSS >> 20} MB`, (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ooo-'));
    try {
      const file = path.join(dir, 'ooo.pcap');
      fs.writeFileSync(file, tcpOooFloodPcap(SEGMENTS, stride));
      const r = runMeasured(['-r', file, '-o', 'tcp.reassemble_out_of_order:TRUE'], 30_000);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.ok(r.stdoutBytes > SEGMENTS * 40, 'one line per frame');
      assert.ok(r.seconds <= CLI_SECONDS, `took ${r.seconds.toFixed(2)} s`);
      assert.ok(r.peakRss <= CLI_PEAK_RSS, `peak RSS ${(r.peakRss / 2 ** 20).toFixed(1)} MB`);
      t.diagnostic(`${r.seconds.toFixed(2)} s, peak RSS ${(r.peakRss / 2 ** 20).toFixed(1)} MB`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${SEGMENTS} one-byte segments, ${how}: at most ${DEFAULT_MAX_HELD_SEGMENTS} held, the hole before them given up and counted`, () => {
    const p = new Pipeline({ sink: null, analyzers: [new TlsAnalyzer(undefined, true)] });
    const c = new Collector();
    p.streams.addConsumer(c);
    const frames = tcpOooFloodFrames(SEGMENTS, stride);
    const t0 = process.hrtime.bigint();
    feed(p, frames);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    assert.ok(seconds <= PIPELINE_SECONDS, `took ${seconds.toFixed(2)} s`);
    const st = p.streams.reassembly.stats(0, 0)!;
    assert.equal(st.segmentCapHits, 1);
    assert.equal(st.bufferedPeak, DEFAULT_MAX_HELD_SEGMENTS);
    // The segment that found the cap full is the first after the given-up hole; the held ones follow it.
    const lastOffset = (SEGMENTS - 1) * stride;
    const firstDelivered = lastOffset - DEFAULT_MAX_HELD_SEGMENTS * stride;
    assert.equal(st.skipped, firstDelivered);
    assert.equal(c.gaps, 1);
    if (stride === 1) {
      // Every byte is accounted for: delivered, or in the hole given up; what came after is a retransmission.
      assert.equal(st.delivered, DEFAULT_MAX_HELD_SEGMENTS + 1);
      assert.equal(st.buffered, 0);
      assert.equal(st.retransmitted, SEGMENTS - DEFAULT_MAX_HELD_SEGMENTS - 1);
      assert.equal(st.delivered + st.skipped, SEGMENTS);
    } else {
      // Holes remain between the held bytes: they stay held, within the cap, and nothing more is taken.
      assert.equal(st.delivered, 1);
      assert.equal(st.buffered, DEFAULT_MAX_HELD_SEGMENTS);
    }
    assert.equal(c.bytes.length, st.delivered);
  });
}

test('segments in a random order, some sent twice or overlapping, come out as the stream, each byte once', () => {
  const C_ISN = 7000, S_ISN = 9000;
  // Segments of 1 to 40 bytes covering 60,000 bytes, in a fixed pseudo-random order.
  let x = 12345;
  const rand = (n: number) => ((x = (x * 1103515245 + 12345) >>> 0) >>> 8) % n;
  const stream = Buffer.alloc(60_000);
  for (let i = 0; i < stream.length; i++) stream[i] = rand(256);
  const pieces: [number, number][] = [];
  for (let at = 0; at < stream.length;) {
    const len = Math.min(1 + rand(40), stream.length - at);
    pieces.push([at, at + len]);
    at += len;
  }
  const count = pieces.length;
  let repeated = 0;
  for (let k = 0; k < 500; k++) {
    const [a, b] = pieces[rand(count)];
    const from = a + rand(b - a), to = Math.min(stream.length, from + 1 + rand(60));
    pieces.push([from, to]);
    repeated += to - from;
  }
  for (let i = pieces.length - 1; i > 0; i--) {
    const j = rand(i + 1);
    [pieces[i], pieces[j]] = [pieces[j], pieces[i]];
  }
  const b = new Builder(false, 40300, 7);
  b.seg(seg(0, 'C', C_ISN, 0, S, 1000, 0));
  b.seg(seg(0.001, 'S', S_ISN, C_ISN + 1, S | A, 1000, 0));
  b.seg(seg(0.001, 'C', C_ISN + 1, S_ISN + 1, A, 1000, 0));
  for (const [from, to] of pieces) b.seg({ ...seg(0.0001, 'C', C_ISN + 1 + from, S_ISN + 1, P | A, 1000, to - from), data: stream.subarray(from, to) });

  const p = new Pipeline({ sink: null });
  const c = new Collector();
  p.streams.addConsumer(c);
  const f = new CapturedFrame();
  for (const fr of b.frames) {
    f.wrap(fr.bytes, LINKTYPE_ETHERNET);
    p.handle(f);
  }
  assert.equal(c.gaps, 0);
  assert.ok(Buffer.from(c.bytes).equals(stream), 'the stream, in order');
  const st = p.streams.reassembly.stats(0, 0)!;
  assert.equal(st.delivered, stream.length);
  assert.equal(st.retransmitted, repeated, 'every repeated byte counted once as a retransmission');
  assert.equal(st.buffered, 0);
  assert.equal(st.segmentCapHits, 0);
});

test('a stream limited to 3 held segments gives up its oldest hole on the fourth, counted', () => {
  const b = new Builder(false, 40400, 7);
  b.seg(seg(0, 'C', 100, 0, S, 1000, 0));
  b.seg(seg(0.001, 'S', 500, 101, S | A, 1000, 0));
  b.seg(seg(0.001, 'C', 101, 501, A, 1000, 0));
  // [0,10), then [20,30) [30,40) [40,50) held behind the hole [10,20), then [50,60)
  for (const at of [0, 20, 30, 40, 50]) b.seg(seg(0.001, 'C', 101 + at, 501, P | A, 1000, 10));
  const p = new Pipeline({ sink: null, reassembly: { maxHeldSegments: 3 } });
  const c = new Collector();
  p.streams.addConsumer(c);
  const f = new CapturedFrame();
  for (const fr of b.frames) p.handle(f.wrap(fr.bytes, LINKTYPE_ETHERNET));
  const st = p.streams.reassembly.stats(0, 0)!;
  assert.equal(st.segmentCapHits, 1);
  assert.equal(st.skipped, 10);
  assert.equal(st.delivered, 50);
  assert.equal(st.buffered, 0);
  assert.equal(c.gaps, 1);
});

test('over all streams, the stream that added to what it holds least recently loses it, as one gap', () => {
  // Three connections, each: [0,10) delivered, then [20,30) and [30,40) held behind the hole [10,20).
  const b = new Builder(false, 40500, 7);
  const ports = [40501, 40502, 40503];
  for (const port of ports) {
    b.port(port);
    b.seg(seg(0.001, 'C', 100, 0, S, 1000, 0));
    b.seg(seg(0.001, 'S', 500, 101, S | A, 1000, 0));
    b.seg(seg(0.001, 'C', 101, 501, A, 1000, 0));
    b.seg(seg(0.001, 'C', 101, 501, P | A, 1000, 10));
  }
  for (const port of ports) {
    b.port(port);
    b.seg(seg(0.001, 'C', 121, 501, P | A, 1000, 10));
    b.seg(seg(0.001, 'C', 131, 501, P | A, 1000, 10));
  }
  const gaps: string[] = [];
  const p = new Pipeline({ sink: null, reassembly: { maxTotalBufferedBytes: 50 } });
  p.streams.addConsumer({ data() {}, gap(_d, stream, _dir, at, len) { gaps.push(`stream ${stream}: ${len} bytes at ${at}`); } });
  const f = new CapturedFrame();
  for (const fr of b.frames) p.handle(f.wrap(fr.bytes, LINKTYPE_ETHERNET));
  const r = p.streams.reassembly;
  // Streams 0 and 1 hold 20 bytes each; stream 2's second segment (60 > 50) evicts stream 0.
  assert.deepEqual(gaps, ['stream 0: 30 bytes at 10']);
  const st0 = r.stats(0, 0)!;
  assert.equal(st0.evictions, 1);
  assert.equal(st0.skipped, 30);
  assert.equal(st0.buffered, 0);
  assert.equal(st0.nextOffset, 40);
  assert.equal(r.stats(1, 0)!.buffered, 20);
  assert.equal(r.stats(2, 0)!.buffered, 20);
  assert.equal(r.totalBuffered, 40);
  assert.equal(r.totalHeld, 4);
});

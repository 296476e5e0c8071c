// TCP stream reassembly (src/analysis/reassembly.ts): each direction's bytes reach a consumer once,
// in order, from the frame that completes them, whatever the order and repetition of the segments;
// bytes the capture lacks are reported as gaps; memory stays within the cap, even over a 1 GiB stream.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { CapturedFrame } from '../src/capture/frame';
import { Pipeline } from '../src/pipeline';
import { Dissection } from '../src/decode/dissection';
import { StreamConsumer } from '../src/analysis/reassembly';
import { Builder, ScenarioFrame, seg, A, F, P, S, LINKTYPE_ETHERNET } from './helpers/tcp-scenarios';

interface Chunk {
  frame: number;
  dir: number;
  offset: number;
  text: string;
}

class Recorder implements StreamConsumer {
  readonly chunks: Chunk[] = [];
  readonly gaps: string[] = [];
  data(d: Dissection, stream: number, dir: number, buf: Buffer, off: number, len: number, streamOffset: number): void {
    assert.equal(stream, d.tcp.stream);
    this.chunks.push({ frame: d.number, dir, offset: streamOffset, text: buf.toString('latin1', off, off + len) });
  }
  gap(d: Dissection, _stream: number, dir: number, streamOffset: number, len: number): void {
    this.gaps.push(`frame ${d.number} dir ${dir}: ${len} bytes at ${streamOffset}`);
  }
  text(dir: number): string {
    return this.chunks.filter((c) => c.dir === dir).map((c) => c.text).join('');
  }
}

function run(frames: ScenarioFrame[], maxBufferedBytes?: number): { p: Pipeline; rec: Recorder } {
  const p = new Pipeline({ sink: null, reassembly: { maxBufferedBytes } });
  const rec = new Recorder();
  p.streams.addConsumer(rec);
  const f = new CapturedFrame();
  for (const fr of frames) {
    f.buf = fr.bytes;
    f.off = 0;
    f.capLen = fr.bytes.length;
    f.origLen = fr.origLen;
    f.tsSec = fr.tsSec;
    f.tsNsec = fr.tsNsec;
    f.linkType = LINKTYPE_ETHERNET;
    p.handle(f);
  }
  return { p, rec };
}

const STREAM = Buffer.from('The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs!', 'latin1');
const part = (a: number, b: number) => STREAM.subarray(a, b);
const C_ISN = 1000, S_ISN = 5000;

/** Handshake, then the client's bytes [a, b) of STREAM as one segment per pair. */
function conversation(pieces: [number, number][], extra?: (b: Builder) => void): ScenarioFrame[] {
  const b = new Builder(false, 40100, 7);
  b.seg(seg(0, 'C', C_ISN, 0, S, 1000, 0));
  b.seg(seg(0.001, 'S', S_ISN, C_ISN + 1, S | A, 1000, 0));
  b.seg(seg(0.001, 'C', C_ISN + 1, S_ISN + 1, A, 1000, 0));
  for (const [x, y] of pieces) b.seg({ ...seg(0.001, 'C', C_ISN + 1 + x, S_ISN + 1, P | A, 1000, y - x), data: part(x, y) });
  extra?.(b);
  return b.frames;
}

test('out-of-order, retransmitted and overlapping segments reassemble into the stream, each byte once', () => {
  // frames 4.. : [0,10) [20,30) [10,20) [0,10)again [25,40) [35,50)
  const frames = conversation([[0, 10], [20, 30], [10, 20], [0, 10], [25, 40], [35, 50]], (b) => {
    b.seg({ ...seg(0.001, 'S', S_ISN + 1, C_ISN + 51, P | A, 1000, 5), data: Buffer.from('hello') });
  });
  const { p, rec } = run(frames);
  assert.deepEqual(rec.chunks, [
    { frame: 4, dir: 0, offset: 0, text: part(0, 10).toString('latin1') },
    { frame: 6, dir: 0, offset: 10, text: part(10, 20).toString('latin1') },
    { frame: 6, dir: 0, offset: 20, text: part(20, 30).toString('latin1') },
    { frame: 8, dir: 0, offset: 30, text: part(30, 40).toString('latin1') },
    { frame: 9, dir: 0, offset: 40, text: part(40, 50).toString('latin1') },
    { frame: 10, dir: 1, offset: 0, text: 'hello' },
  ]);
  assert.equal(rec.text(0), part(0, 50).toString('latin1'));
  assert.deepEqual(rec.gaps, []);
  const st = p.streams.reassembly.stats(0, 0)!;
  assert.equal(st.delivered, 50);
  assert.equal(st.retransmitted, 10 + 5 + 5);
  assert.equal(st.missing + st.skipped + st.buffered, 0);
  assert.equal(st.bufferedPeak, 10);
  assert.equal(p.streams.reassembly.stats(0, 1)!.delivered, 5);
});

test('bytes the peer acknowledged but the capture lacks, and bytes cut by the snapshot length, are gaps', () => {
  const frames = conversation([[0, 10], [20, 30]], (b) => {
    // The server acknowledges 30: [10, 20) was on the wire but not in the capture.
    b.seg(seg(0.001, 'S', S_ISN + 1, C_ISN + 31, A, 1000, 0));
    // [30, 40) of which only 4 bytes were captured.
    b.seg({ ...seg(0.001, 'C', C_ISN + 31, S_ISN + 1, P | A, 1000, 10), data: part(30, 40), capLen: 4 });
    b.seg({ ...seg(0.001, 'C', C_ISN + 41, S_ISN + 1, P | A, 1000, 5), data: part(40, 45) });
    // FIN and its acknowledgement take a sequence number but no byte: no gap.
    b.seg(seg(0.001, 'C', C_ISN + 46, S_ISN + 1, F | A, 1000, 0));
    b.seg(seg(0.001, 'S', S_ISN + 1, C_ISN + 47, A, 1000, 0));
  });
  const { p, rec } = run(frames);
  assert.deepEqual(rec.gaps, ['frame 6 dir 0: 10 bytes at 10', 'frame 7 dir 0: 6 bytes at 34']);
  assert.deepEqual(rec.chunks.map((c) => [c.frame, c.offset, c.text]), [
    [4, 0, part(0, 10).toString('latin1')],
    [6, 20, part(20, 30).toString('latin1')],
    [7, 30, part(30, 34).toString('latin1')],
    [8, 40, part(40, 45).toString('latin1')],
  ]);
  const st = p.streams.reassembly.stats(0, 0)!;
  assert.equal(st.delivered, 10 + 10 + 4 + 5);
  assert.equal(st.missing, 10 + 6);
  assert.equal(st.nextOffset, 45);
  assert.equal(st.finished, true);
});

test('beyond the cap, the oldest hole is given up and counted; what was held is delivered', () => {
  // [10, 20) never comes; with 20 bytes of room the third segment after the hole forces progress.
  const frames = conversation([[0, 10], [20, 30], [30, 40], [40, 50], [50, 60]]);
  const { p, rec } = run(frames, 20);
  assert.deepEqual(rec.gaps, ['frame 7 dir 0: 10 bytes at 10']);
  assert.equal(rec.text(0), part(0, 10).toString('latin1') + part(20, 60).toString('latin1'));
  const st = p.streams.reassembly.stats(0, 0)!;
  assert.equal(st.skipped, 10);
  assert.equal(st.delivered, 50);
  assert.ok(st.bufferedPeak <= 20);
  assert.equal(st.buffered, 0);
});

test('a 1 GiB one-way stream keeps the heap under the configured cap', { timeout: 120_000 }, (t) => {
  const script = join(__dirname, 'helpers', 'reassembly-bulk.js');
  const out = execFileSync(process.execPath, ['--expose-gc', script, '--measure'], { encoding: 'utf8', timeout: 110_000 });
  const r = JSON.parse(out) as {
    bytes: number; delivered: number; skipped: number; lost: number; retransmitted: number; sent: number; cap: number;
    peakGrowth: number; bufferedPeak: number; frames: number; seconds: number; errors: string[];
  };
  assert.deepEqual(r.errors, []);
  assert.equal(r.bytes, 1 << 30);
  // Every byte is accounted for: delivered, or given up at a hole that never filled.
  assert.equal(r.delivered + r.skipped, r.bytes);
  assert.equal(r.skipped, r.lost);
  assert.equal(r.retransmitted, r.sent - r.bytes + r.lost);
  // The cap bounds the bytes held out of order; the pieces' bookkeeping adds well under 1 MiB.
  assert.ok(r.bufferedPeak <= r.cap, `held ${r.bufferedPeak} bytes, cap ${r.cap}`);
  assert.ok(r.bufferedPeak > r.cap / 2, 'the holes made the reassembler hold data up to the cap');
  assert.ok(r.peakGrowth < r.cap + (1 << 20), `heap and buffers grew by ${r.peakGrowth} bytes, cap ${r.cap}`);
  t.diagnostic(`1 GiB in ${r.frames} frames, ${r.seconds.toFixed(2)} s; held at most ${r.bufferedPeak} bytes; memory growth ${r.peakGrowth} bytes`);
});

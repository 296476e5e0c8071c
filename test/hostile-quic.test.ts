// QUIC CRYPTO reassembly under hostile Initial packets (src/protocols/quic/initial.ts): placing a frame costs its
// length whatever the order of the frames, a direction that leaves more than MAX_CRYPTO_RANGES holes is
// given up and counted, and the CRYPTO buffers of all connections together stay within a budget.
// Client Hellos cut into many small frames, in any order that leaves fewer holes, are still read.
//
// npm test runs this file alone: it bounds how long each run of tcpwatch over a bomb takes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Pipeline } from '../src/pipeline';
import { CapturedFrame } from '../src/capture/frame';
import { Dissection } from '../src/decode/dissection';
import { TlsAnalyzer } from '../src/tls/analyzer';
import { quic } from '../src/protocols/quic';
import { QuicAnalyzer } from '../src/protocols/quic/stage';
import { MAX_CRYPTO_BYTES, MAX_CRYPTO_RANGES } from '../src/protocols/quic/initial';
import { formatField, getField } from '../src/fields';
import { protectedInitial, quicCryptoFloodDatagrams, udpPcap } from '../scripts/attacks/quic-crypto-flood';
import { CLI } from './helpers/corpus';
import { runMeasured } from './helpers/peak-rss';
import { alpnExt, clientHelloBody, ext, handshake, sniExt } from './helpers/tls-bytes';

/** Wall time the whole flood file may take through the command line (-V), node's start included. */
const FLOOD_SECONDS = 2;
/**
 * Peak resident set size of that run. -V on a capture of a few frames already peaks near 95 MB
 * (a plain -r about 70 MB, the packed vendor table behind eth.*.oui_resolved about 8 MB, the tree
 * the rest), so the bound leaves the flood over 80 MB above that.
 */
const FLOOD_PEAK_RSS = 180 * 1024 * 1024;

function varint(v: number): Buffer {
  if (v < 64) return Buffer.from([v]);
  if (v < 16384) return Buffer.from([0x40 | (v >> 8), v & 255]);
  return Buffer.from([0x80 | (v >>> 24), (v >> 16) & 255, (v >> 8) & 255, v & 255]);
}
const cryptoFrame = (at: number, data: Buffer): Buffer => Buffer.concat([Buffer.from([0x06]), varint(at), varint(data.length), data]);

/** Frames into Initial packets of at most ~1150 bytes of frames each. */
function packets(frames: Buffer[], dcid?: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let cur: Buffer[] = [], size = 0;
  for (const f of frames) {
    if (size + f.length > 1150 && cur.length > 0) {
      out.push(protectedInitial(Buffer.concat(cur), out.length, dcid));
      cur = [];
      size = 0;
    }
    cur.push(f);
    size += f.length;
  }
  if (cur.length > 0) out.push(protectedInitial(Buffer.concat(cur), out.length, dcid));
  return out;
}

/** The UDP payloads through a pipeline; the server name each frame's Client Hello carries. */
function run(datagrams: Buffer[], analyzer = new TlsAnalyzer()): { names: string[][]; analyzer: TlsAnalyzer } {
  const sni = getField('tls.handshake.extensions_server_name')!;
  const names: string[][] = [];
  const sink = {
    frame(d: Dissection): void {
      const v: string[] = [];
      for (let i = 0, n = sni.count(d); i < n; i++) v.push(formatField(sni, d, i));
      names.push(v);
    },
    end(): void {},
  };
  // the QUIC stage removes Initial protection; TLS reads the CRYPTO frames of its plaintexts
  const p = new Pipeline({ sink, analyzers: [new QuicAnalyzer(() => quic.id, (d) => quic.layer(d)), analyzer] });
  const pcap = udpPcap(datagrams);
  // Frames from the classic pcap the generator wrote: 16-byte record headers after the 24-byte file header.
  const cf = new CapturedFrame();
  for (let off = 24; off < pcap.length;) {
    const len = pcap.readUInt32LE(off + 8);
    p.handle(cf.wrap(pcap.subarray(off + 16, off + 16 + len), 1));
    off += 16 + len;
  }
  return { names, analyzer };
}

/** A Client Hello with a padding extension (RFC 7685) long enough to hold 4 bytes per hole below. */
const hello = (): Buffer => handshake(1, clientHelloBody({ exts: [sniExt('split.example'), alpnExt(['h3']), ext(21, Buffer.alloc(4 * MAX_CRYPTO_RANGES + 64))] }));

test(`the CRYPTO flood file (one-byte frames at every other offset) is read in under ${FLOOD_SECONDS} s and ${FLOOD_PEAK_RSS >> 20} MB, its direction given up and counted`, (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-quic-flood-'));
  try {
    const file = path.join(dir, 'flood.pcap');
    const datagrams = quicCryptoFloodDatagrams();
    assert.ok(datagrams.length > 150, 'the flood fills the 64 KiB window');
    fs.writeFileSync(file, udpPcap(datagrams));
    const r = spawnSync(process.execPath, [CLI, '-r', file], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, datagrams.length);
    const m = runMeasured(['-r', file, '-V'], 30_000);
    assert.equal(m.status, 0, m.stderr);
    assert.ok(m.seconds <= FLOOD_SECONDS, `took ${m.seconds.toFixed(2)} s`);
    assert.ok(m.peakRss <= FLOOD_PEAK_RSS, `peak RSS ${(m.peakRss / 2 ** 20).toFixed(1)} MB`);
    t.diagnostic(`-V: ${m.seconds.toFixed(2)} s, peak RSS ${(m.peakRss / 2 ** 20).toFixed(1)} MB`);

    const { analyzer } = run(datagrams);
    assert.equal(analyzer.quic.floodedStreams, 1);
    // Every frame after the one that would have made hole MAX_CRYPTO_RANGES + 1 is refused.
    assert.equal(analyzer.quic.refusedCryptoFrames, MAX_CRYPTO_BYTES / 2 - MAX_CRYPTO_RANGES);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a Client Hello in one-byte CRYPTO frames sent last byte first is read', () => {
  const ch = hello();
  const frames: Buffer[] = [];
  for (let i = ch.length - 1; i >= 0; i--) frames.push(cryptoFrame(i, ch.subarray(i, i + 1)));
  const { names, analyzer } = run(packets(frames));
  assert.deepEqual(names.filter((n) => n.length > 0), [['split.example']]);
  assert.deepEqual(names[names.length - 1], ['split.example'], 'read in the packet that completes it');
  assert.equal(analyzer.quic.refusedCryptoFrames, 0);
});

test(`a Client Hello that leaves ${MAX_CRYPTO_RANGES} holes before they fill is read; one more hole gives the direction up`, () => {
  // Even-numbered pairs of bytes first (each its own range), then the rest, then offset 0.
  function attempt(holes: number): ReturnType<typeof run> {
    const ch = hello();
    assert.ok(ch.length > 4 * holes + 4, `hello of ${ch.length} bytes`);
    const frames: Buffer[] = [];
    for (let k = 0; k < holes; k++) frames.push(cryptoFrame(2 + 4 * k, ch.subarray(2 + 4 * k, 4 + 4 * k)));
    const tail = 2 + 4 * holes;
    frames.push(cryptoFrame(tail, ch.subarray(tail)));
    for (let k = 0; k < holes; k++) frames.push(cryptoFrame(4 + 4 * k, ch.subarray(4 + 4 * k, 6 + 4 * k)));
    frames.push(cryptoFrame(0, ch.subarray(0, 2)));
    return run(packets(frames));
  }
  const ok = attempt(MAX_CRYPTO_RANGES - 1);
  assert.deepEqual(ok.names.filter((n) => n.length > 0), [['split.example']]);
  assert.equal(ok.analyzer.quic.refusedCryptoFrames, 0);
  const over = attempt(MAX_CRYPTO_RANGES);
  assert.deepEqual(over.names.filter((n) => n.length > 0), []);
  assert.equal(over.analyzer.quic.floodedStreams, 1);
  assert.ok(over.analyzer.quic.refusedCryptoFrames > 0);
});

test('one high-offset CRYPTO byte in each of 1000 connections holds at most the reader\'s budget', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  const datagrams: Buffer[] = [];
  for (let i = 0; i < 1000; i++) {
    const dcid = Buffer.alloc(8);
    dcid.writeUInt32BE(i, 4);
    datagrams.push(protectedInitial(cryptoFrame(MAX_CRYPTO_BYTES - 1, Buffer.from([0x16])), 0, dcid));
  }
  gc?.();
  const before = process.memoryUsage().arrayBuffers;
  // Each datagram names a DCID of its own: the QUIC stage makes each a connection of its own.
  const { analyzer } = run(datagrams);
  const reader = analyzer.quic;
  const grown = process.memoryUsage().arrayBuffers - before;
  const budget = 256 * MAX_CRYPTO_BYTES;
  assert.ok(reader.refusedCryptoFrames >= 1000 - 256, `refused ${reader.refusedCryptoFrames}`);
  assert.ok(grown < budget + (4 << 20), `CRYPTO buffers grew by ${grown} bytes`);
});

// The packet store: every corpus capture indexed (in-process and in the separate indexing process) must give back, for
// every packet, exactly the row the headless pipeline prints (Source, Destination, Protocol, Info,
// Length, relative time) — the frame re-read by offset, decoded again and its TCP analysis restored
// from the columns. Plus chunk boundaries, address interning, conversations, follow stream,
// statistics and an incremental display filter.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../src/app/features';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { Pipeline } from '../src/pipeline';
import { makeAnalyzers, MainOptions } from '../src/hooks';
import { sourceColumn, destinationColumn, protocolColumn, infoColumn } from '../src/output/summary';
import { sanitizeText } from '../src/output/sanitize';
import { relativeTime } from '../src/output/sinks';
import { PacketStore } from '../src/store/packet-store';
import { describeRow, RowText, TimeFormat, rowClass, RowClass } from '../src/store/rows';
import { BYTES_PER_PACKET, CHUNK_SIZE, TlsContentBit, TlsHandshakeBit } from '../src/store/columns';
import { buildConversations } from '../src/store/conversations';
import { followStream, followLines, Side } from '../src/store/follow';
import { captureStats } from '../src/store/stats';
import { FilterRun } from '../src/store/filter-run';
import { replicateCapture } from '../scripts/replicate-capture';
import { corpusDir, listFiles, NO_CORPUS_REASON } from './helpers/corpus';

const corpus = corpusDir();
const OPTS: MainOptions = { promiscuous: true, field: [], fieldOption: [], pref: [], ui: true };

interface Expected {
  src: string; dst: string; protocol: string; info: string; length: string; time: string;
}

function headlessRows(file: string): Expected[] {
  const reader = new CaptureFileReader(file);
  const rows: Expected[] = [];
  const p = new Pipeline({ sink: null, analyzers: makeAnalyzers(OPTS, reader) });
  const f = new CapturedFrame();
  try {
    while (reader.next(f)) {
      p.handle(f);
      const d = p.d;
      rows.push({
        src: sanitizeText(sourceColumn(d)), dst: sanitizeText(destinationColumn(d)),
        protocol: sanitizeText(protocolColumn(d)), info: sanitizeText(infoColumn(d)),
        length: String(d.origLen), time: relativeTime(d, reader.nanosecond ? 9 : 6),
      });
    }
  } catch {
    // damaged files: the frames before the damage are what both sides must agree on
  }
  reader.close();
  return rows;
}

function loaded(store: PacketStore): Promise<void> {
  return new Promise((resolve) => {
    if (!store.loading) return resolve();
    store.onChange(() => { if (!store.loading) resolve(); });
  });
}

async function compareStore(file: string, useWorker: boolean): Promise<number> {
  const expected = headlessRows(file);
  const store = PacketStore.openFile(file, OPTS, useWorker);
  await loaded(store);
  try {
    assert.equal(store.count, expected.length, `${file}: packet count`);
    const row = new RowText();
    for (let i = 0; i < expected.length; i++) {
      describeRow(store, i, TimeFormat.Relative, row);
      const e = expected[i];
      const where = `${path.basename(file)} frame ${i + 1}`;
      assert.equal(row.src, e.src, `${where} Source`);
      assert.equal(row.dst, e.dst, `${where} Destination`);
      assert.equal(row.protocol, e.protocol, `${where} Protocol`);
      assert.equal(row.info, e.info, `${where} Info`);
      assert.equal(row.length, e.length, `${where} Length`);
      assert.equal(row.time, e.time, `${where} Time`);
    }
  } finally {
    store.close();
  }
  return expected.length;
}

test('every corpus capture reads back from the store exactly as the headless pipeline prints it', { skip: corpus === null ? NO_CORPUS_REASON : false }, async () => {
  const files = listFiles(path.join(corpus!, 'valid'), (n) => /\.(pcap|pcapng)$/.test(n));
  assert.ok(files.length >= 50);
  let packets = 0;
  for (const f of files) packets += await compareStore(f, false);
  assert.ok(packets > 1000, `packets compared: ${packets}`);
});

test('the separate indexing process gives the same rows as indexing in-process', { skip: corpus === null ? NO_CORPUS_REASON : false }, async () => {
  for (const name of ['valid/tcpdump/dns_tcp.pcap', 'valid/local/ipv6-tls13.pcap', 'valid/local/multi-interface.pcapng', 'valid/ja4/tls3.pcapng']) {
    await compareStore(path.join(corpus!, name), true);
  }
});

test('malformed captures: the store keeps the frames before the damage and says where it is', { skip: corpus === null ? NO_CORPUS_REASON : false }, async () => {
  const files = listFiles(path.join(corpus!, 'malformed'), (n) => /\.(pcap|pcapng)$/.test(n)).slice(0, 40);
  for (const f of files) {
    let store: PacketStore;
    try {
      store = PacketStore.openFile(f, OPTS, false);
    } catch {
      continue; // header refused: the command line reports it before any UI starts
    }
    await loaded(store);
    const row = new RowText();
    for (let i = 0; i < store.count; i++) describeRow(store, i, TimeFormat.Relative, row);
    store.close();
  }
});

test('a capture larger than one chunk: 70,000 packets across two chunks, 64 bytes of index each', { skip: corpus === null ? NO_CORPUS_REASON : false }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-store-'));
  try {
    const file = path.join(dir, 'big.pcap');
    const n = CHUNK_SIZE + 4464;
    replicateCapture(path.join(corpus!, 'valid/tcpdump/dns_tcp.pcap'), file, n);
    const store = PacketStore.openFile(file, OPTS, true);
    let updates = 0;
    store.onChange(() => updates++);
    await loaded(store);
    assert.equal(store.count, n);
    assert.ok(updates >= 2, 'progress is reported before the end');
    assert.equal(store.index.chunks.length, 2);
    assert.equal(store.index.chunks[0].sab.byteLength / CHUNK_SIZE, BYTES_PER_PACKET);
    assert.ok(BYTES_PER_PACKET <= 64);
    // Two addresses in the template; the copies past the first 60,000 shift no IPv4 octet yet.
    assert.equal(store.index.addresses.count - 1, 2);
    // 11 packets per conversation in the template, one stream per copy
    assert.equal(store.index.streamCount, Math.ceil(n / 11));
    const row = new RowText();
    describeRow(store, CHUNK_SIZE, TimeFormat.Relative, row);
    assert.equal(row.no, String(CHUNK_SIZE + 1));
    const k = CHUNK_SIZE % 11; // position in its copy of the template
    assert.equal(k, 9);
    assert.match(row.info, /^53 → \d+ \[FIN, PSH, ACK\] Seq=227 Ack=60 Win=64239 Len=0$/);
    // the client's FIN/ACK (template frame 8) of the second-to-last copy, in the second chunk
    const fin = n - 1 - ((n - 1) % 11) - 11 + 7;
    describeRow(store, fin, TimeFormat.Delta, row);
    assert.equal(row.cls, RowClass.Teardown);
    assert.match(row.info, /\[FIN, ACK\] Seq=59 Ack=227/);
    assert.equal(row.time, '0.001624000');
    store.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('conversations, follow stream and statistics of dns_tcp.pcap', { skip: corpus === null ? NO_CORPUS_REASON : false }, async () => {
  const store = PacketStore.openFile(path.join(corpus!, 'valid/tcpdump/dns_tcp.pcap'), OPTS, false);
  await loaded(store);
  const conv = buildConversations(store.index);
  assert.equal(conv.n, 1);
  assert.equal(store.index.addresses.text(conv.clientAddr[0]), '192.168.1.11');
  assert.equal(conv.clientPort[0], 33779);
  assert.equal(store.index.addresses.text(conv.serverAddr[0]), '209.87.249.18');
  assert.equal(conv.serverPort[0], 53);
  assert.equal(conv.packetsToServer[0] + conv.packetsToClient[0], 11);
  assert.equal(conv.packetsToServer[0], 6);

  const f = followStream(store, 0);
  assert.equal(f.clientBytes, 58);
  assert.equal(f.serverBytes, 226);
  assert.equal(f.client, '192.168.1.11:33779');
  assert.deepEqual(f.segments.map((s) => s.packet + 1), [4, 6]);
  const lines = followLines(f);
  assert.ok(lines.some((l) => l.side === Side.Client && /^0000  00 38 /.test(l.text)), 'binary DNS shown as hex');
  assert.ok(lines.every((l) => !/[\u0000-\u001f\u007f-\u009f]/.test(l.text)));

  const st = captureStats(store.index);
  assert.equal(st.packets, 11);
  assert.equal(st.tcpFlags.find((c) => c.name === 'SYN')!.packets, 1);
  assert.equal(st.tcpFlags.find((c) => c.name === 'SYN/ACK')!.packets, 1);
  assert.equal(st.talkers[0].packets + st.talkers[1].packets, 11);
  assert.equal(st.protocols.reduce((a, c) => a + c.packets, 0), 11);

  // colours from the index alone: SYN, SYN/ACK and the third ACK are the handshake
  assert.deepEqual([0, 1, 2, 3, 7].map((i) => rowClass(store.index, i)),
    [RowClass.Handshake, RowClass.Handshake, RowClass.Handshake, RowClass.Data, RowClass.Teardown]);
  store.close();
});

test('a display filter runs incrementally over the store and can be cancelled', { skip: corpus === null ? NO_CORPUS_REASON : false }, async () => {
  const store = PacketStore.openFile(path.join(corpus!, 'valid/local/ipv6-tls13.pcap'), OPTS, false);
  await loaded(store);
  const run = new FilterRun(store, 'tcp.stream == 1', (d) => d.tcp.stream === 1);
  while (!run.done) run.step(performance.now() + 5);
  const want: number[] = [];
  for (let i = 0; i < store.count; i++) if (store.index.chunkOf(i).stream[i] === 1) want.push(i);
  assert.ok(want.length > 0);
  assert.deepEqual(Array.from({ length: run.matches.length }, (_, k) => run.matches.get(k)), want);
  const second = new FilterRun(store, 'all', () => true);
  second.step(performance.now() - 1); // a deadline already past: one slice of 256 at most
  second.cancel();
  assert.equal(second.step(performance.now() + 100), false);
  assert.ok(second.matches.length <= 256);
  store.close();
});

test('TLS in the index: record and handshake kinds per packet, version and server name per stream', { skip: corpus === null ? NO_CORPUS_REASON : false }, async () => {
  const store = PacketStore.openFile(path.join(corpus!, 'valid/local/ipv6-tls13.pcap'), OPTS, true);
  await loaded(store);
  const ix = store.index;
  const at = (frame: number) => ({ c: ix.chunkOf(frame - 1), j: frame - 1 });
  const hs = (frame: number) => { const { c, j } = at(frame); return c.tlsHandshake[j]; };
  const ct = (frame: number) => { const { c, j } = at(frame); return c.tlsContent[j]; };
  assert.equal(hs(4), TlsHandshakeBit.ClientHello);
  assert.equal(ct(4), TlsContentBit.Handshake);
  assert.ok(hs(6) & TlsHandshakeBit.ServerHello);
  assert.equal(ct(6), TlsContentBit.Handshake | TlsContentBit.ChangeCipherSpec | TlsContentBit.ApplicationData);
  assert.equal(ct(9), TlsContentBit.ApplicationData);
  assert.equal(hs(9), 0);
  assert.equal(ct(3) | hs(3), 0);
  assert.deepEqual([rowClass(ix, 3), rowClass(ix, 5), rowClass(ix, 8)], [RowClass.TlsHello, RowClass.TlsHello, RowClass.Tls]);
  assert.equal(ix.tlsStreams.get(0)?.version, 'TLS 1.3');
  assert.equal(ix.tlsStreams.get(1)?.version, 'TLS 1.2');
  store.close();

  const sni = PacketStore.openFile(path.join(corpus!, 'valid/ja4/tls-sni.pcapng'), OPTS, true);
  await loaded(sni);
  assert.equal(sni.index.tlsStreams.get(0)?.sni, 'clientservices.googleapis.com');
  assert.equal(sni.index.tlsStreams.get(1)?.sni, 'www.google.com');
  assert.equal(sni.index.tlsStreams.get(4)?.sni, 'lastpass.com');
  const st = captureStats(sni.index);
  assert.deepEqual(st.serverNames[0], { name: 'static.xx.fbcdn.net', packets: 6, bytes: 0 }); // six streams asked for it
  // QUIC Initials carry Client Hellos too, but in UDP rows: they are not coloured as TLS Hellos
  assert.equal(rowClass(sni.index, 1), RowClass.Udp);
  assert.equal(rowClass(sni.index, 0), RowClass.TlsHello);
  sni.close();
});

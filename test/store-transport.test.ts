// How the index of a file gets from the indexing process to the UI (src/store/index-pipe.ts): the
// index the UI ends up with must be the one indexing in-process builds, byte for byte — every
// column of every packet, the address table, links, application rows, Dup ACK details, what TLS told
// about each stream and every stream's verdict — whether it comes through the ring file (also a
// ring small enough to wrap many times, with bodies too big for it sent on the pipe), or on the pipe
// alone when no temporary file can be made. Plus the per-stream tables on their own.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../src/packet-modules';
import { MainOptions } from '../src/hooks';
import { PacketStore } from '../src/store/packet-store';
import { PacketIndex } from '../src/store/packet-index';
import { CHUNK_SIZE } from '../src/store/columns';
import { StreamVerdictTable, TlsStreamTable } from '../src/store/stream-tables';
import { StreamVerdicts, NOT_MEASURED, VERDICT_ROW_WIDTH } from '../src/reports/verdict';
import { replicateCapture } from '../scripts/replicate-capture';
import { corpusDir, NO_CORPUS_REASON } from './helpers/corpus';

const corpus = corpusDir();
const OPTS: MainOptions = { promiscuous: true, field: [], fieldOption: [], pref: [], ui: true };
const SAMPLE = path.resolve(__dirname, '..', '..', 'samples', 'lab.pcapng');

function loaded(store: PacketStore): Promise<void> {
  return new Promise((resolve) => {
    if (!store.loading) return resolve();
    store.onChange(() => { if (!store.loading) resolve(); });
  });
}

async function openLoaded(file: string, separate: boolean, opts = OPTS): Promise<PacketStore> {
  const store = PacketStore.openFile(file, opts, separate);
  await loaded(store);
  return store;
}

/** Everything the UI reads from an index, as plain values. */
function contents(ix: PacketIndex): unknown {
  // each column of every chunk as a digest of its bytes (a mismatch names the chunk and column)
  const columns: string[] = [];
  for (let ci = 0; ci * CHUNK_SIZE < ix.count; ci++) {
    const n = Math.min(CHUNK_SIZE, ix.count - ci * CHUNK_SIZE);
    ix.chunks[ci].columns.forEach((col, k) => {
      const bytes = Buffer.from(col.buffer, col.byteOffset, n * col.BYTES_PER_ELEMENT);
      columns.push(`chunk ${ci} column ${k}: ${crypto.createHash('sha256').update(bytes).digest('hex')}`);
    });
  }
  const addresses: string[] = [];
  for (let id = 1; id < ix.addresses.count; id++) addresses.push(ix.addresses.text(id));
  const tls: unknown[] = [];
  const verdicts: unknown[] = [];
  for (let s = 0; s < ix.streamCount + 2; s++) {
    const e = ix.tlsStreams.get(s);
    if (e !== undefined) tls.push([s, e]);
    verdicts.push(ix.verdicts.row(s));
  }
  return {
    count: ix.count, streamCount: ix.streamCount, columns, addresses, links: ix.links, apps: ix.apps,
    dupAcks: [...ix.dupAcks].sort((a, b) => a[0] - b[0]), tls, tlsSize: ix.tlsStreams.size, verdicts,
  };
}

const FILES = [
  'valid/ja4/tls-sni.pcapng', // server names, QUIC
  'valid/ja4/tls3.pcapng', // many TLS streams
  'valid/local/multi-interface.pcapng', // several link types
  'valid/tcpdump/mptcp-aa-v1.pcap',
  'valid/ja4/browsers-x509.pcapng',
];

/** Files of the corpus whose index has Dup ACK details (found, so the check cannot pass on none). */
async function withDupAcks(): Promise<string[]> {
  const out: string[] = [];
  for (const name of ['valid/ja4/latest.pcapng', 'valid/ja4/v6.pcap', 'valid/ja4/tls-handshake.pcapng', 'valid/ja4/socks-https-example.pcap', 'valid/ja4/CVE-2018-6794.pcap']) {
    const s = await openLoaded(path.join(corpus!, name), false);
    if (s.index.dupAcks.size > 0) out.push(name);
    s.close();
  }
  return out;
}

/** The index another process handed over equals the one built in-process; both stores are closed. */
function assertSameIndex(name: string, here: PacketStore, there: PacketStore): void {
  try {
    assert.equal(there.error, null, name);
    assert.deepEqual(contents(there.index), contents(here.index), name);
  } finally {
    here.close();
    there.close();
  }
}

test('through the ring file the UI gets the index indexing in-process builds, byte for byte', { skip: corpus === null ? NO_CORPUS_REASON : false }, async () => {
  const dup = await withDupAcks();
  assert.ok(dup.length > 0, 'a capture with Dup ACKs among the files compared');
  for (const name of [...FILES, ...dup]) {
    const file = path.join(corpus!, name);
    const here = await openLoaded(file, false);
    assertSameIndex(name, here, await openLoaded(file, true));
  }
});

test('the lab sample with its key log: decrypted verdicts and TLS names arrive as indexed', async () => {
  const opts: MainOptions = { ...OPTS, keylog: path.resolve(__dirname, '..', '..', 'samples', 'lab.keylog') };
  const here = await openLoaded(SAMPLE, false, opts);
  const there = await openLoaded(SAMPLE, true, opts);
  try {
    assert.deepEqual(contents(there.index), contents(here.index));
    const labels = new Set<string>();
    for (let s = 0; s < there.index.streamCount; s++) labels.add(there.index.verdicts.label(s));
    assert.ok([...labels].some((l) => l.startsWith('decrypted')), [...labels].join(', '));
  } finally {
    here.close();
    there.close();
  }
});

test('a ring small enough to wrap many times: the indexer waits for the UI and nothing is lost', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ring-'));
  const saved = PacketStore.ringBytes;
  try {
    // 2.5 chunks of the lab's chat and TLS: 10 MiB of rows through a 1 MiB ring (in pieces of a quarter of
    // it), verdict bodies larger than that on the pipe, and the indexer reusing its chunks' memory.
    // (The smallest ring, 64 KiB, passes too, but waits for an acknowledgement every 8 KiB.)
    const file = path.join(dir, 'big.pcap');
    replicateCapture(SAMPLE, file, 2 * CHUNK_SIZE + 30000);
    const here = await openLoaded(file, false);
    PacketStore.ringBytes = 1024 * 1024;
    const there = await openLoaded(file, true);
    try {
      assert.equal(there.error, null);
      assert.equal(there.count, 2 * CHUNK_SIZE + 30000);
      assert.deepEqual(contents(there.index), contents(here.index));
    } finally {
      here.close();
      there.close();
    }
  } finally {
    PacketStore.ringBytes = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('where no temporary file can be made, everything comes on the pipe, and no ring file is left behind', { skip: corpus === null ? NO_CORPUS_REASON : false }, async () => {
  const saved = process.env.TMPDIR;
  // A temporary directory of this test's own, so that files other tests make beside it do not count.
  const mine = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-transport-'));
  try {
    for (const name of FILES.slice(0, 3)) {
      const file = path.join(corpus!, name);
      process.env.TMPDIR = mine;
      const here = await openLoaded(file, false);
      process.env.TMPDIR = path.join(mine, 'no-such-dir', 'x');
      const there = await openLoaded(file, true);
      process.env.TMPDIR = saved;
      assertSameIndex(name, here, there);
    }
    assert.deepEqual(fs.readdirSync(mine), []);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    fs.rmSync(mine, { recursive: true, force: true });
  }
});

test('verdict rows in blocks read as the analysis stage\'s own table, row for row', () => {
  const rows = new StreamVerdicts();
  // Streams past one block of 4096, some with a row made by the analysis stage, some only seen.
  for (const s of [0, 4095]) rows.see(s);
  const tls = rows.rowFor(1), bulk = rows.rowFor(4096), text = rows.rowFor(9000);
  rows.verdict[tls] = 3; rows.isTls[tls] = 1; rows.version[tls] = 0x0304; rows.protectedRecords[tls] = 7; rows.decryptedRecords[tls] = 7;
  rows.bytesC[bulk] = 2 ** 40 + 3; rows.bytesS[bulk] = 17; rows.measuredC[bulk] = 65536; rows.entropyC[bulk] = 7.25; rows.entropyAll[bulk] = 4.5;
  rows.textShare[text] = 0.875;
  assert.equal(rows.rowOf(0), -1);
  assert.equal(rows.rowCount, 3);
  const table = new StreamVerdictTable();
  table.apply(rows.flatRows([1, 4096, 9000]));
  assert.equal(table.count, 9001);
  for (const s of [0, 1, 2, 4095, 4096, 9000]) {
    // streams below the highest without a row of their own read as "no payload, not measured"
    const mine = table.row(s)!, theirs = rows.row(s)!;
    assert.deepEqual(mine, theirs, `stream ${s}`);
    assert.equal(table.label(s), rows.label(s));
  }
  assert.equal(table.label(1), 'decrypted (TLS 1.3)');
  assert.equal(table.entropyAll(0), NOT_MEASURED);
  assert.equal(table.entropyAll(4096), 4.5);
  assert.equal(table.row(9001), null);
  assert.equal(table.label(-1), '');
  assert.equal(table.labelKey(1) === table.labelKey(0), false);
  // a row that is not one (a negative stream) is skipped, the rest applied
  const bad = new Float64Array(2 * VERDICT_ROW_WIDTH);
  bad[0] = -5;
  bad[VERDICT_ROW_WIDTH] = 12;
  bad[VERDICT_ROW_WIDTH + 1] = 1;
  table.apply(bad);
  assert.equal(table.count, 9001);
  assert.equal(table.label(12), 'plaintext');
});

test('TLS names per stream: strings stored once, numbered alike on both sides of the pipe', () => {
  const writer = new TlsStreamTable();
  writer.set(3, { sni: 'example.com', version: '' });
  writer.set(3, { sni: 'example.com', version: 'TLS 1.3' });
  writer.set(5000, { sni: 'example.com', version: 'TLS 1.2' });
  writer.set(7, { sni: '', version: 'TLS 1.3' });
  assert.equal(writer.size, 3);
  assert.equal(writer.stringCount, 4); // '', example.com, TLS 1.3, TLS 1.2
  const reader = new TlsStreamTable();
  reader.addStrings(1, writer.stringsFrom(1));
  for (const s of [3, 7, 5000]) reader.setIds(s, writer.sniIdOf(s), writer.versionSlotOf(s));
  for (const s of [0, 3, 4, 7, 5000, 5001]) assert.deepEqual(reader.get(s), writer.get(s), `stream ${s}`);
  assert.deepEqual(reader.get(3), { sni: 'example.com', version: 'TLS 1.3' });
  assert.equal(reader.get(4), undefined);
  assert.deepEqual([...reader.values()], [
    { sni: 'example.com', version: 'TLS 1.3' }, { sni: '', version: 'TLS 1.3' }, { sni: 'example.com', version: 'TLS 1.2' },
  ]);
  // numbers the reader was not told of are refused rather than read as another name
  reader.setIds(9, 99, 1);
  assert.equal(reader.get(9), undefined);
  assert.equal(reader.size, 3);
});

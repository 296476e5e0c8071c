// HTTP/2 header decoding under hostile peers (src/http/hpack.ts, src/http/http2.ts): a dynamic table
// size update is bounded by SETTINGS_HEADER_TABLE_SIZE (RFC 7541 §4.2, §6.3); a decoded header list
// is kept up to 64 KiB per block and bounded per record, the rest decoded for the table's sake and
// counted; a header block past 256 KiB is not collected. The HPACK bomb of
// scripts/attacks/hpack-bomb.ts, real TLS that tcpwatch decrypts with the key log the pcapng carries,
// goes through every output mode within stated bounds of time, memory and output.
//
// npm test runs this file alone: it bounds how long each run of tcpwatch over a bomb takes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_TABLE_SIZE, ENTRY_OVERHEAD, HpackDecoder, MAX_HEADER_LIST_SIZE, MAX_TABLE_SIZE } from '../src/http/hpack';
import { CLIENT_PREFACE, Http2Parser, MAX_FEED_HEADERS, MAX_HEADER_BLOCK } from '../src/http/http2';
import type { Http2Frame } from '../src/http/http-info';
import { hpackBombPcapng, WITHIN_LIMITS } from '../scripts/attacks/hpack-bomb';
import { runMeasured } from './helpers/peak-rss';
import { CLI } from './helpers/corpus';
import { h2frame as frame } from '../scripts/attacks/hpack-bomb';

/** RFC 7541 §5.1 integer with an N-bit prefix. */
function int(v: number, prefixBits: number, pattern: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (v < max) return Buffer.from([pattern | v]);
  const out = [pattern | max];
  for (v -= max; v >= 128; v = Math.floor(v / 128)) out.push((v % 128) | 0x80);
  out.push(v);
  return Buffer.from(out);
}
const str = (s: string): Buffer => Buffer.concat([int(s.length, 7, 0), Buffer.from(s, 'latin1')]);
/** Literal with incremental indexing, new name (RFC 7541 §6.2.1). */
const literal = (name: string, value: string): Buffer => Buffer.concat([Buffer.from([0x40]), str(name), str(value)]);
const sizeUpdate = (n: number): Buffer => int(n, 5, 0x20);
const decode = (d: HpackDecoder, b: Buffer) => d.decode(b, 0, b.length);

const HEADERS = 1, SETTINGS = 4, CONTINUATION = 9, PING = 6;
const END_HEADERS = 4;

test('a dynamic table size update beyond the limit is a decoding error; within it, the table follows', () => {
  const d = new HpackDecoder();
  assert.equal(d.tableLimit, DEFAULT_TABLE_SIZE);
  assert.deepEqual(decode(d, Buffer.concat([sizeUpdate(DEFAULT_TABLE_SIZE), Buffer.from([0x82])])), [[':method', 'GET']]);
  assert.equal(decode(d, Buffer.concat([sizeUpdate(DEFAULT_TABLE_SIZE + 1), Buffer.from([0x82])])), null);
  assert.equal(d.broken, true);
  // 2^35 - 1 was once accepted: the largest a five-byte continuation can carry.
  const big = new HpackDecoder();
  big.setLimit(2 ** 40);
  assert.equal(big.tableLimit, MAX_TABLE_SIZE, 'a SETTINGS value is taken up to MAX_TABLE_SIZE');
  assert.equal(decode(big, sizeUpdate(2 ** 30)), null);
});

test('SETTINGS_HEADER_TABLE_SIZE one side announces is the limit of the other side\'s encoder', () => {
  const client = new Http2Parser(true), server = new Http2Parser(false);
  client.peer = server;
  assert.equal(server.peer, client);
  const out: Http2Frame[] = [];
  // The server allows 8192; the client announces 1024 (and an unknown setting, ignored).
  const settings = (pairs: [number, number][]) => Buffer.concat(pairs.map(([id, v]) => { const b = Buffer.alloc(6); b.writeUInt16BE(id, 0); b.writeUInt32BE(v, 2); return b; }));
  server.feed(frame(SETTINGS, 0, 0, settings([[1, 8192], [0x99, 7]])), out);
  client.feed(Buffer.concat([CLIENT_PREFACE, frame(SETTINGS, 0, 0, settings([[1, 1024]]))]), out);
  assert.equal(client.hpack.tableLimit, 8192);
  assert.equal(server.hpack.tableLimit, 1024);
  client.feed(frame(HEADERS, END_HEADERS, 1, Buffer.concat([sizeUpdate(8192), Buffer.from([0x82])])), out);
  assert.deepEqual(out.at(-1)!.headers, [[':method', 'GET']]);
  server.feed(frame(HEADERS, END_HEADERS, 1, Buffer.concat([sizeUpdate(1025), Buffer.from([0x88])])), out);
  assert.equal(out.at(-1)!.headers, null);
  assert.equal(server.hpack.broken, true);
  // A parser not linked to its peer cannot see the limit and allows MAX_TABLE_SIZE.
  const lone = new Http2Parser(false);
  assert.equal(lone.hpack.tableLimit, MAX_TABLE_SIZE);
});

test('a decoded header list is kept up to 64 KiB and counted beyond; the table stays in step', () => {
  const d = new HpackDecoder();
  const value = 'v'.repeat(1000);
  const fieldSize = 'x-a'.length + value.length + ENTRY_OVERHEAD;
  const n = 100; // 100 fields of 1035 bytes: 103,500 bytes of header list
  const refs = Buffer.alloc(n, 0x80 | 62); // the newest dynamic entry, n times
  const kept = Math.floor(MAX_HEADER_LIST_SIZE / fieldSize);
  // The last field of the block adds an entry: decoded and indexed even though it is not kept.
  const list = decode(d, Buffer.concat([literal('x-a', value), refs, literal('x-late', 'kept-in-table')]))!;
  assert.equal(list.length, kept);
  assert.equal(d.cutFields, n + 2 - kept);
  assert.equal(d.broken, false);
  assert.deepEqual(decode(d, Buffer.from([0x80 | 62, 0x80 | 63])), [['x-late', 'kept-in-table'], ['x-a', value]]);
  assert.equal(d.cutFields, 0);
});

test('over one record, the blocks together keep at most MAX_FEED_HEADERS fields', () => {
  const p = new Http2Parser(true);
  const blocks: Buffer[] = [CLIENT_PREFACE, frame(HEADERS, END_HEADERS, 1, literal('a', ''))];
  for (let s = 3; s < 3 + 2 * 20; s += 2) blocks.push(frame(HEADERS, END_HEADERS, s, Buffer.alloc(400, 0x80 | 62)));
  const out: Http2Frame[] = [];
  p.feed(Buffer.concat(blocks), out);
  const kept = out.reduce((a, f) => a + (f.headers?.length ?? 0), 0);
  const cut = out.reduce((a, f) => a + f.headersCut, 0);
  assert.equal(kept, MAX_FEED_HEADERS);
  assert.equal(kept + cut, 1 + 20 * 400);
  // The next record starts with a fresh allowance.
  const next: Http2Frame[] = [];
  p.feed(frame(HEADERS, END_HEADERS, 101, Buffer.from([0x80 | 62])), next);
  assert.deepEqual(next[0].headers, [['a', '']]);
});

test('HEADERS and CONTINUATION past 256 KiB are not collected; frames after them still parse', () => {
  const p = new Http2Parser(true);
  const out: Http2Frame[] = [];
  const piece = Buffer.alloc(100 * 1024, 0x82);
  p.feed(CLIENT_PREFACE, out);
  p.feed(frame(HEADERS, 0, 1, piece), out);
  p.feed(frame(CONTINUATION, 0, 1, piece), out);
  p.feed(frame(CONTINUATION, 0, 1, piece), out); // 300 KiB now
  p.feed(frame(CONTINUATION, END_HEADERS, 1, piece), out);
  p.feed(frame(PING, 0, 0, Buffer.alloc(8)), out);
  assert.ok(3 * piece.length > MAX_HEADER_BLOCK);
  assert.deepEqual(out.map((f) => [f.type, f.headers]), [[1, null], [9, null], [9, null], [9, null], [6, null]]);
  assert.equal(p.broken, false, 'framing goes on');
  assert.equal(p.hpack.broken, true, 'the table is unknown after a block that was not decoded');
  // Within the bound, the same four frames decode (a fresh connection).
  const q = new Http2Parser(true);
  const ok: Http2Frame[] = [];
  const small = Buffer.alloc(60 * 1024, 0x82);
  q.feed(Buffer.concat([CLIENT_PREFACE, frame(HEADERS, 0, 1, small), frame(CONTINUATION, 0, 1, small), frame(CONTINUATION, END_HEADERS, 1, small)]), ok);
  assert.equal(ok.at(-1)!.headers!.length + ok.at(-1)!.headersCut, 3 * small.length);
});

// ---- the bomb through the command line ----

/**
 * Bounds of every run below on a 2 MiB bomb, each: wall time, peak RSS, output. The output bound
 * follows from the header bytes kept per record (src/http/http2.ts), each value printed as tshark
 * prints it: three times in -T json (Value, the named header field, Unescaped).
 */
const RUN_SECONDS = 5;
const RUN_PEAK_RSS = 200 * 1024 * 1024;
const RUN_OUTPUT = 256 * 1024 * 1024;
const MODES: string[][] = [['-T', 'fields', '-e', 'http2.header.value'], ['-T', 'json'], ['-T', 'ndjson'], ['-V'], []];

// The first bomb's opening block is refused (its size update is beyond the limit), so none of its
// header blocks decode; the second's are read, and cut: frame 8, the client's first application
// data record, ends the opening block and the first blocks of references.
const BOMBS = [
  { name: 'a table size update to 2^30 and a 256 KiB value', opts: {}, names: (lines: string[]) => lines.every((l) => l === '') },
  { name: 'the default 4096-byte table and a 4000-byte value', opts: WITHIN_LIMITS, names: (lines: string[]) => lines[7].startsWith(':method,:scheme,:path,x-bomb,:method,:scheme,:path,x-bomb,x-bomb,') },
];

for (const { name, opts, names } of BOMBS) {
  test(`HPACK bomb in decrypted TLS (${name}): every output mode within ${RUN_SECONDS} s, ${RUN_PEAK_RSS >> 20} MB, ${RUN_OUTPUT >> 20} MB of output`, { timeout: 120_000 }, (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-hpack-'));
    try {
      const file = path.join(dir, 'bomb.pcapng');
      fs.writeFileSync(file, hpackBombPcapng({ ...opts, bytes: 2 * 1024 * 1024 }));
      for (const mode of MODES) {
        const r = runMeasured(['-r', file, ...mode], 60_000);
        const what = `tcpwatch -r bomb.pcapng ${mode.join(' ')}`;
        assert.equal(r.status, 0, `${what}: ${r.stderr}`);
        assert.equal(r.stderr, '', what);
        assert.ok(r.seconds <= RUN_SECONDS, `${what}: ${r.seconds.toFixed(2)} s`);
        assert.ok(r.peakRss <= RUN_PEAK_RSS, `${what}: peak RSS ${(r.peakRss / 2 ** 20).toFixed(1)} MB`);
        assert.ok(r.stdoutBytes <= RUN_OUTPUT, `${what}: ${r.stdoutBytes} bytes out`);
        t.diagnostic(`${what}: ${r.seconds.toFixed(2)} s, ${(r.peakRss / 2 ** 20).toFixed(0)} MB peak, ${(r.stdoutBytes / 2 ** 20).toFixed(1)} MB out`);
      }
      // The bomb is read, not refused: the first block's fields are there, decrypted.
      const r = spawnSync(process.execPath, [CLI, '-r', file, '-T', 'fields', '-e', 'tls.decryption', '-e', 'http2.header.name'], { encoding: 'utf8', maxBuffer: 256 << 20 });
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.split('\n').slice(0, -1).map((l) => l.split('\t'));
      assert.ok(lines.length > 100);
      assert.ok(lines.slice(5).every((l) => l[0] === 'decrypted'), 'every record after the handshake decrypts');
      assert.ok(names(lines.map((l) => l[1])), 'header names');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

// pcap and pcapng reading and writing: byte orders, timestamp precisions, record boundaries at
// every chunk size, standard input, and files that tshark reads back unchanged.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { CaptureFileReader, CaptureFileError } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { splitNanosHigh } from '../src/capture/file-writer';
import { corpusDir, listFiles, CLI, NO_CORPUS_REASON } from './helpers/corpus';

const corpus = corpusDir();
const skip = corpus === null ? NO_CORPUS_REASON : false;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-capture-'));
const hasTshark = spawnSync('tshark', ['--version']).status === 0;

interface Rec { sec: number; nsec: number; cap: number; orig: number; link: number; iface: number; bytes: string }

function readAll(file: string, chunk?: number): Rec[] {
  const r = new CaptureFileReader(file, undefined, chunk);
  const f = new CapturedFrame();
  const out: Rec[] = [];
  try {
    while (r.next(f)) {
      out.push({ sec: f.tsSec, nsec: f.tsNsec, cap: f.capLen, orig: f.origLen, link: f.linkType, iface: f.ifIndex, bytes: f.buf.toString('hex', f.off, f.off + f.capLen) });
    }
  } finally {
    r.close();
  }
  return out;
}

test('every corpus capture reads the same at any chunk size', { skip }, () => {
  const files = listFiles(path.join(corpus!, 'valid'), (n) => /\.pcap(ng)?$/.test(n));
  assert.ok(files.length > 50);
  for (const file of files) {
    const whole = readAll(file);
    for (const chunk of [1, 7, 64, 1500]) {
      assert.deepEqual(readAll(file, chunk), whole, `${path.basename(file)} with ${chunk}-byte chunks`);
    }
  }
});

/** Rewrite a little-endian pcap as big-endian, byte by byte of each header field. */
function pcapToBigEndian(le: Buffer): Buffer {
  const be = Buffer.from(le);
  const swap32 = (o: number): void => { be.writeUInt32BE(le.readUInt32LE(o), o); };
  const swap16 = (o: number): void => { be.writeUInt16BE(le.readUInt16LE(o), o); };
  swap32(0); swap16(4); swap16(6); swap32(8); swap32(12); swap32(16); swap32(20);
  for (let p = 24; p < le.length;) {
    const cap = le.readUInt32LE(p + 8);
    swap32(p); swap32(p + 4); swap32(p + 8); swap32(p + 12);
    p += 16 + cap;
  }
  return be;
}

test('pcap in both byte orders, micro- and nanosecond timestamps', { skip }, () => {
  for (const name of ['valid/tcpdump/dns_tcp.pcap', 'valid/tcpdump/tcp-handshake-nano.pcap']) {
    const file = path.join(corpus!, name);
    const le = fs.readFileSync(file);
    assert.equal(le.readUInt32LE(0) >>> 0 === 0xa1b2c3d4 || le.readUInt32LE(0) >>> 0 === 0xa1b23c4d, true, 'corpus file is little-endian');
    const beFile = path.join(tmp, path.basename(name) + '.be.pcap');
    fs.writeFileSync(beFile, pcapToBigEndian(le));
    assert.deepEqual(readAll(beFile), readAll(file), name);
  }
  const nano = readAll(path.join(corpus!, 'valid/tcpdump/tcp-handshake-nano.pcap'));
  assert.equal(`${nano[0].sec}.${String(nano[0].nsec).padStart(9, '0')}`, '1418145369.924505488');
  const micro = readAll(path.join(corpus!, 'valid/tcpdump/dns_tcp.pcap'));
  assert.equal(micro[0].nsec % 1000, 0, 'microseconds scaled to nanoseconds');
});

/** A pcapng section in either byte order: two interfaces (Ethernet µs, raw IP ns), options, NRB, ISB, one EPB each and an SPB. */
function buildPcapng(bigEndian: boolean): Buffer {
  const parts: Buffer[] = [];
  const u32 = (v: number): Buffer => { const b = Buffer.alloc(4); bigEndian ? b.writeUInt32BE(v >>> 0) : b.writeUInt32LE(v >>> 0); return b; };
  const u16 = (v: number): Buffer => { const b = Buffer.alloc(2); bigEndian ? b.writeUInt16BE(v) : b.writeUInt16LE(v); return b; };
  const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const opt = (code: number, value: Buffer): Buffer => Buffer.concat([u16(code), u16(value.length), pad(value)]);
  const block = (type: number, body: Buffer): void => {
    const len = 12 + body.length;
    parts.push(Buffer.concat([u32(type), u32(len), body, u32(len)]));
  };
  block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d), u16(1), u16(0), u32(0xffffffff), u32(0xffffffff), opt(4, Buffer.from('tcpwatch test')), u32(0)]));
  block(1, Buffer.concat([u16(1), u16(0), u32(65535), opt(2, Buffer.from('eth0')), u32(0)]));
  block(1, Buffer.concat([u16(101), u16(0), u32(65535), opt(9, Buffer.from([9])), u32(0)]));
  block(4, Buffer.concat([u16(1), u16(8), Buffer.from([127, 0, 0, 1]), Buffer.from('lo\0\0'), u32(0)]));
  const eth = Buffer.from('ffffffffffff0011223344550800' + '4500001c00000000401100007f0000017f000001123456780008abcd', 'hex');
  const ip = Buffer.from('4500001c00000000401100007f0000017f00000112345678000800ff', 'hex');
  // 2024-01-02T03:04:05.123456 in microseconds, and the same second + 987654321 ns in nanoseconds
  const us = 1704164645 * 1e6 + 123456;
  const ns = 1704164645n * 1000000000n + 987654321n;
  block(6, Buffer.concat([u32(0), u32(Math.floor(us / 2 ** 32)), u32(us % 2 ** 32), u32(eth.length), u32(eth.length), pad(eth), opt(1, Buffer.from('a comment')), u32(0)]));
  block(6, Buffer.concat([u32(1), u32(Number(ns >> 32n)), u32(Number(ns & 0xffffffffn)), u32(ip.length), u32(60), pad(ip)]));
  block(5, Buffer.concat([u32(0), u32(0), u32(0)]));
  block(3, Buffer.concat([u32(eth.length), pad(eth)]));
  block(0x40000bad, Buffer.from('custom block body...'));
  return Buffer.concat(parts);
}

test('pcapng in both byte orders: interfaces, resolutions, options, NRB/ISB/SPB/custom blocks', () => {
  const recs: Rec[][] = [];
  for (const be of [false, true]) {
    const file = path.join(tmp, `built-${be ? 'be' : 'le'}.pcapng`);
    fs.writeFileSync(file, buildPcapng(be));
    recs.push(readAll(file));
  }
  assert.deepEqual(recs[0], recs[1]);
  const [a, b, c] = recs[0];
  assert.equal(recs[0].length, 3);
  assert.deepEqual([a.sec, a.nsec, a.link, a.iface], [1704164645, 123456000, 1, 0]);
  assert.deepEqual([b.sec, b.nsec, b.link, b.iface, b.orig], [1704164645, 987654321, 101, 1, 60]);
  assert.deepEqual([c.sec, c.nsec, c.link, c.cap], [0, 0, 1, 42]);
});

test('damaged files end with an error naming the byte offset, after the frames before it', { skip }, () => {
  const file = path.join(corpus!, 'valid/tcpdump/dns_tcp.pcap');
  const whole = fs.readFileSync(file);
  const cut = path.join(tmp, 'cut.pcap');
  fs.writeFileSync(cut, whole.subarray(0, whole.length - 10));
  const r = new CaptureFileReader(cut);
  const f = new CapturedFrame();
  let n = 0;
  assert.throws(() => { while (r.next(f)) n++; }, (e: unknown) => e instanceof CaptureFileError && /byte offset \d+/.test(e.message) && /truncated/.test(e.message));
  assert.equal(n, readAll(file).length - 1);
  const res = spawnSync(process.execPath, [CLI, '-r', cut], { encoding: 'utf8' });
  assert.equal(res.status, 2);
  assert.match(res.stderr, /^tcpwatch: .*cut\.pcap: record of \d+ bytes cut short \(file truncated\) at byte offset \d+\n$/);
  assert.equal(res.stdout.trim().split('\n').length, n, 'packets before the damage are printed');
  assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
});

test('not a capture, empty, missing, directory: one line and exit status 2', () => {
  const junk = path.join(tmp, 'junk.txt');
  fs.writeFileSync(junk, 'hello, this is not a capture file\n');
  const empty = path.join(tmp, 'empty.pcap');
  fs.writeFileSync(empty, '');
  for (const [file, msg] of [[junk, /not a pcap or pcapng capture/], [empty, /empty/], [path.join(tmp, 'nope.pcap'), /no such file/], [tmp, /is a directory/]] as const) {
    const res = spawnSync(process.execPath, [CLI, '-r', file], { encoding: 'utf8' });
    assert.equal(res.status, 2, file);
    assert.match(res.stderr, msg);
    assert.equal(res.stderr.trim().split('\n').length, 1);
  }
});

test('reading from standard input gives the same output as the file', { skip }, () => {
  const file = path.join(corpus!, 'valid/local/multi-interface.pcapng');
  const direct = execFileSync(process.execPath, [CLI, '-r', file], { encoding: 'utf8' });
  const piped = execFileSync(process.execPath, [CLI, '-r', '-'], { input: fs.readFileSync(file), encoding: 'utf8' });
  assert.equal(piped, direct);
  assert.ok(direct.length > 0);
});

test('64-bit nanosecond timestamps split exactly without BigInt', () => {
  for (const [sec, nsec] of [[0, 0], [1, 1], [1704164645, 987654321], [4294967295, 999999999], [4398046511, 103999999], [9007199, 254740991]]) {
    const hi = splitNanosHigh(sec, nsec);
    const total = BigInt(sec) * 1000000000n + BigInt(nsec);
    assert.equal(BigInt(hi), total >> 32n, `${sec}.${nsec} high`);
  }
});

test('-w pcap and pcapng are read back by tshark with identical frames and bytes', { skip: skip || (!hasTshark && 'tshark not installed') }, () => {
  const inputs = ['valid/tcpdump/tcp-handshake-nano.pcap', 'valid/local/multi-interface.pcapng', 'valid/ja4/tls-sni.pcapng', 'valid/tcpdump/time_2107.pcapng'];
  for (const name of inputs) {
    const src = path.join(corpus!, name);
    const describe = (file: string): { out: string; err: string } => {
      const meta = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.encap_type'], { encoding: 'utf8' });
      const bytes = spawnSync('tshark', ['-r', file, '-x'], { encoding: 'utf8' });
      return { out: meta.stdout + bytes.stdout, err: (meta.stderr + bytes.stderr).replace(/Running as user "root".*\n/g, '') };
    };
    const want = describe(src);
    const recs = readAll(src);
    // pcap holds one link type and 32-bit seconds; other inputs are written as pcapng only
    const pcapCan = new Set(recs.map((r) => r.link)).size === 1 && recs.every((r) => r.sec <= 0xffffffff);
    for (const ext of pcapCan ? ['pcap', 'pcapng'] : ['pcapng']) {
      const out = path.join(tmp, `${path.basename(name)}.out.${ext}`);
      const res = spawnSync(process.execPath, [CLI, '-r', src, '-w', out], { encoding: 'utf8' });
      assert.equal(res.status, 0, res.stderr);
      assert.equal((fs.statSync(out).mode & 0o777), 0o600, 'capture files are private');
      const got = describe(out);
      assert.equal(got.err, '', `${name} → ${ext}: tshark complains`);
      assert.equal(got.out, want.out, `${name} → ${ext}`);
    }
  }
  // a pcap holds one link type: asking for it with several is an error, not a silent loss
  const res = spawnSync(process.execPath, [CLI, '-r', path.join(corpus!, 'valid/local/multi-interface.pcapng'), '-w', path.join(tmp, 'mixed.pcap')], { encoding: 'utf8' });
  assert.equal(res.status, 2);
  assert.match(res.stderr, /one link type.*pcapng/);
  const late = spawnSync(process.execPath, [CLI, '-r', path.join(corpus!, 'valid/tcpdump/time_2107.pcapng'), '-w', path.join(tmp, 'late.pcap')], { encoding: 'utf8' });
  assert.equal(late.status, 2);
  assert.match(late.stderr, /after 2106.*pcapng/);
});

// TLS records and handshake messages on hand-made TCP segments: several records in one segment, one
// record across segments, a split record header, retransmissions and gaps, SSLv2 Client Hello,
// HelloRetryRequest, certificates, and malformed input (lengths past the record or the message,
// empty or truncated extensions, absurd counts), which must be marked and never throw, loop or
// allocate by an unchecked length.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline } from '../src/pipeline';
import { CapturedFrame } from '../src/capture/frame';
import { Dissection, Malformed } from '../src/decode/dissection';
import { TlsAnalyzer } from '../src/tls/analyzer';
import { RecordFlag, SegmentRole } from '../src/tls/tls-info';
import { HelloView, HelloProblem, HRR_RANDOM } from '../src/tls/handshake';
import { getField, allFields, formatField } from '../src/fields';
import { protocolColumn, infoColumn } from '../src/output/summary';
import { generateSelfSignedCertificate } from '../src/lab/x509';
import { openCaptureWriter } from '../src/capture/file-writer';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../src/tls/summary';
import { u16, u24, vec8, vec16, record, handshake, ext, sniExt, clientHelloBody, serverHelloBody, clientHello } from './helpers/tls-bytes';
import { have } from './helpers/system';
import { CLI } from './helpers/corpus';

// ---- building frames ----

const TH_FIN = 0x01, TH_SYN = 0x02, TH_PSH = 0x08, TH_ACK = 0x10;

/** Ethernet + IPv4 + TCP (no options) around `payload`. */
function tcpFrame(src: number, dst: number, sport: number, dport: number, seq: number, ack: number, flags: number, payload: Buffer): Buffer {
  const f = Buffer.alloc(14 + 20 + 20 + payload.length);
  f.writeUInt16BE(0x0800, 12);
  const ip = 14;
  f[ip] = 0x45;
  f.writeUInt16BE(20 + 20 + payload.length, ip + 2);
  f[ip + 8] = 64;
  f[ip + 9] = 6;
  f.writeUInt32BE(src, ip + 12);
  f.writeUInt32BE(dst, ip + 16);
  const t = ip + 20;
  f.writeUInt16BE(sport, t);
  f.writeUInt16BE(dport, t + 2);
  f.writeUInt32BE(seq >>> 0, t + 4);
  f.writeUInt32BE(ack >>> 0, t + 8);
  f[t + 12] = 5 << 4;
  f[t + 13] = flags;
  f.writeUInt16BE(65535, t + 14);
  payload.copy(f, t + 20);
  return f;
}

const CLIENT = 0x0a000001, SERVER = 0x0a000002;

/** A TCP conversation on loopback-like addresses; `port` is the server port (default not a TLS port). */
class Conversation {
  seq = [1000, 5000];
  readonly frames: Buffer[] = [];
  constructor(readonly port = 4433, readonly cport = 40000) {
    this.frames.push(tcpFrame(CLIENT, SERVER, cport, port, this.seq[0], 0, TH_SYN, Buffer.alloc(0)));
    this.frames.push(tcpFrame(SERVER, CLIENT, port, cport, this.seq[1], this.seq[0] + 1, TH_SYN | TH_ACK, Buffer.alloc(0)));
    this.seq[0]++;
    this.seq[1]++;
    this.frames.push(tcpFrame(CLIENT, SERVER, cport, port, this.seq[0], this.seq[1], TH_ACK, Buffer.alloc(0)));
  }
  /** A segment from the client (dir 0) or server (dir 1); `at` overrides the sequence number. */
  send(dir: 0 | 1, payload: Buffer, opts: { at?: number; flags?: number } = {}): number {
    const seq = opts.at ?? this.seq[dir];
    const [src, dst, sp, dp] = dir === 0 ? [CLIENT, SERVER, this.cport, this.port] : [SERVER, CLIENT, this.port, this.cport];
    this.frames.push(tcpFrame(src, dst, sp, dp, seq, this.seq[1 - dir], (opts.flags ?? 0) | TH_ACK | TH_PSH, payload));
    if (opts.at === undefined) this.seq[dir] += payload.length;
    return this.frames.length; // frame number
  }
}

interface Row {
  number: number;
  protocol: string;
  info: string;
  malformed: boolean;
  role: SegmentRole;
  fields: Map<string, string[]>;
  recordFlags: number[];
}

/** Run frames through decode → TCP streams → TLS, and read every tls.* field of each frame. */
function run(frames: Buffer[], analyzer = new TlsAnalyzer()): Row[] {
  const rows: Row[] = [];
  const tlsFields = allFields().filter((f) => f.proto === 'tls');
  const sink = {
    frame(d: Dissection): void {
      const fields = new Map<string, string[]>();
      for (const f of tlsFields) {
        const n = f.count(d);
        const vals: string[] = [];
        for (let i = 0; i < n; i++) vals.push(formatField(f, d, i));
        if (n > 0) fields.set(f.name, vals);
      }
      const recordFlags: number[] = [];
      for (let r = 0; r < d.tls.recordCount; r++) recordFlags.push(d.tls.recordFlags[r]);
      rows.push({
        number: d.number, protocol: protocolColumn(d), info: infoColumn(d), malformed: d.malformed === Malformed.Application,
        role: d.tls.role, fields, recordFlags,
      });
    },
    end(): void {},
  };
  const p = new Pipeline({ sink, analyzers: [analyzer] });
  const cf = new CapturedFrame();
  let t = 1_700_000_000;
  for (const f of frames) {
    cf.buf = f;
    cf.off = 0;
    cf.capLen = f.length;
    cf.origLen = f.length;
    cf.tsSec = t++;
    cf.tsNsec = 0;
    cf.linkType = 1;
    p.handle(cf);
  }
  p.end();
  return rows;
}

const first = (r: Row, name: string): string | undefined => r.fields.get(name)?.[0];

// ---- tests ----

test('a Client Hello names its server, ALPN, versions and suites; the Server Hello negotiates TLS 1.3', () => {
  const c = new Conversation();
  c.send(0, clientHello());
  c.send(1, Buffer.concat([record(22, handshake(2, serverHelloBody())), record(20, Buffer.from([1])), record(23, Buffer.alloc(40, 0xaa)), record(23, Buffer.alloc(20, 0xbb))]));
  c.send(0, Buffer.concat([record(20, Buffer.from([1])), record(23, Buffer.alloc(50, 0xcc))]));
  const rows = run(c.frames);
  const ch = rows[3], sh = rows[4], fin = rows[5];
  assert.equal(ch.protocol, 'TLSv1');
  assert.equal(ch.info, 'Client Hello');
  assert.equal(first(ch, 'tls.record.content_type'), '22');
  assert.equal(first(ch, 'tls.record.version'), '0x0301');
  assert.equal(first(ch, 'tls.handshake.type'), '1');
  assert.equal(first(ch, 'tls.handshake.version'), '0x0303');
  assert.equal(first(ch, 'tls.handshake.extensions_server_name'), 'example.com');
  assert.deepEqual(ch.fields.get('tls.handshake.extensions_alpn_str'), ['h2', 'http/1.1']);
  assert.deepEqual(ch.fields.get('tls.handshake.ciphersuite'), ['0x1301', '0x1302', '0xc02b']);
  assert.deepEqual(ch.fields.get('tls.handshake.extensions.supported_version'), ['0x0304', '0x0303']);
  assert.deepEqual(ch.fields.get('tls.handshake.extensions_supported_group'), ['0x001d', '0x0017']);
  assert.deepEqual(ch.fields.get('tls.handshake.extensions_key_share_group'), ['29']);
  assert.deepEqual(ch.fields.get('tls.handshake.sig_hash_alg'), ['0x0403', '0x0804']);
  assert.deepEqual(ch.fields.get('tls.extension.psk_ke_mode'), ['1']);
  assert.deepEqual(ch.fields.get('tls.handshake.extension.type'), ['0', '16', '43', '10', '13', '45', '51']);
  assert.equal(first(ch, 'tls.handshake.ja3_full'), '771,4865-4866-49195,0-16-43-10-13-45-51,29-23,');
  assert.match(first(ch, 'tls.handshake.ja3')!, /^[0-9a-f]{32}$/);
  assert.match(first(ch, 'tls.handshake.ja4')!, /^t13d0307h2_[0-9a-f]{12}_[0-9a-f]{12}$/);
  assert.equal(first(ch, 'tls.handshake.ja4_r'), 't13d0307h2_1301,1302,c02b_000a,000d,002b,002d,0033_0403,0804');
  assert.equal(first(ch, 'tls.handshake.ja4_ro'), 't13d0307h2_1301,1302,c02b_0000,0010,002b,000a,000d,002d,0033_0403,0804');

  // several records in one segment
  assert.equal(sh.protocol, 'TLSv1.3');
  assert.equal(sh.info, 'Server Hello, Change Cipher Spec, Application Data, Application Data');
  assert.deepEqual(sh.fields.get('tls.record.content_type'), ['22', '20'], 'TLS 1.3 application data has an opaque type');
  assert.deepEqual(sh.fields.get('tls.record.opaque_type'), ['23', '23']);
  assert.deepEqual(sh.fields.get('tls.record.length'), [String(serverHelloBody().length + 4), '1', '40', '20']);
  assert.equal(first(sh, 'tls.handshake.extensions.supported_version'), '0x0304');
  assert.equal(first(sh, 'tls.handshake.ciphersuite'), '0x1301');
  assert.equal(first(sh, 'tls.handshake.ja3s_full'), '771,4865,43-51');
  assert.equal(fin.protocol, 'TLSv1.3');
  assert.equal(fin.info, 'Change Cipher Spec, Application Data');
  for (const r of rows) assert.equal(r.malformed, false);
});

test('a record across three segments is described in the frame that completes it', () => {
  const c = new Conversation();
  c.send(0, clientHello());
  const cert = generateSelfSignedCertificate({ commonName: 'tcpwatch.test' });
  const certMsg = handshake(11, Buffer.concat([u24(cert.certDer.length + 3), u24(cert.certDer.length), cert.certDer]));
  const flight = Buffer.concat([
    record(22, handshake(2, serverHelloBody({ version13: false, cipher: 0xc02b }))),
    record(22, Buffer.concat([certMsg, handshake(14, Buffer.alloc(0))])),
  ]);
  const shLen = serverHelloBody({ version13: false }).length + 4 + 5;
  // segment 1: Server Hello and 10 bytes of the next record; segment 2: middle; segment 3: the rest
  c.send(1, flight.subarray(0, shLen + 10));
  c.send(1, flight.subarray(shLen + 10, shLen + 200));
  c.send(1, flight.subarray(shLen + 200));
  const rows = run(c.frames);
  const [a, b, d] = rows.slice(4, 7);
  assert.equal(a.info, 'Server Hello');
  assert.equal(a.protocol, 'TLSv1.2');
  assert.equal(b.protocol, 'TCP');
  assert.match(b.info, /^4433 → 40000 \[PSH, ACK\] Seq=\d+ Ack=\d+ Win=\d+ Len=190 \[TCP segment of a reassembled PDU\]$/);
  assert.equal(d.protocol, 'TLSv1.2');
  assert.equal(d.info, 'Certificate, Server Hello Done');
  assert.equal(first(d, 'tls.record.length'), String(certMsg.length + 4));
  assert.ok((d.recordFlags[0] & RecordFlag.Reassembled) !== 0);
  assert.deepEqual(d.fields.get('tls.handshake.type'), ['11', '14']);
  assert.deepEqual(d.fields.get('tls.handshake.certificate.subject_cn'), ['tcpwatch.test']);
  assert.deepEqual(d.fields.get('tls.handshake.certificate.issuer_cn'), ['tcpwatch.test']);
  assert.deepEqual(d.fields.get('tls.handshake.certificate_length'), [String(cert.certDer.length)]);
});

test('a segment that only starts a record shows "[TCP segment of a reassembled PDU]"; a split header joins the next segment', () => {
  const c = new Conversation();
  c.send(0, clientHello());
  const sh = record(22, handshake(2, serverHelloBody()));
  c.send(1, sh.subarray(0, 3)); // not even a whole record header
  c.send(1, sh.subarray(3, 60)); // joined with the 3 bytes, still short of the record
  c.send(1, sh.subarray(60));
  const app = record(23, Buffer.alloc(3000, 1));
  c.send(0, app.subarray(0, 1000));
  c.send(0, app.subarray(1000));
  const rows = run(c.frames);
  assert.equal(rows[3].info, 'Client Hello');
  for (const i of [4, 5]) {
    assert.equal(rows[i].protocol, 'TCP');
    assert.equal(rows[i].info, '[TCP segment of a reassembled PDU]');
    assert.equal(rows[i].fields.get('tls.record.length'), undefined);
  }
  assert.equal(rows[6].info, 'Server Hello');
  assert.equal(rows[6].protocol, 'TLSv1.3');
  assert.equal(first(rows[6], 'tls.handshake.extensions.supported_version'), '0x0304');
  assert.equal(rows[7].info, '[TCP segment of a reassembled PDU]');
  assert.equal(rows[8].info, 'Application Data');
  assert.equal(first(rows[8], 'tls.record.opaque_type'), '23');
  assert.equal(first(rows[8], 'tls.record.length'), '3000');
});

test('retransmitted bytes are not dissected twice; a gap abandons the record being collected', () => {
  const c = new Conversation();
  const chFrame = clientHello();
  const at = c.seq[0];
  c.send(0, chFrame);
  c.send(0, chFrame, { at }); // an exact retransmission
  const big = record(23, Buffer.alloc(4000, 2));
  const start = c.seq[1];
  c.send(1, big.subarray(0, 1000));
  // 1000 bytes never captured, then the rest of the record and a new one
  c.send(1, Buffer.concat([big.subarray(2000), record(23, Buffer.alloc(10, 3))]), { at: start + 2000 });
  c.send(1, record(21, Buffer.from([1, 0])), { at: start + big.length + 15 });
  const analyzer = new TlsAnalyzer();
  const rows = run(c.frames, analyzer);
  assert.equal(rows[3].info, 'Client Hello');
  assert.equal(rows[4].role, SegmentRole.None);
  assert.equal(rows[4].fields.size, 0);
  assert.equal(rows[5].info, '[TCP segment of a reassembled PDU]');
  assert.ok(analyzer.stats.bytesLost >= 1000, `bytes lost ${analyzer.stats.bytesLost}`);
  assert.equal(rows[7].info, 'Alert (Level: Warning, Description: Close Notify)');
  assert.equal(first(rows[7], 'tls.alert_message.level'), '1');
  assert.equal(first(rows[7], 'tls.alert_message.desc'), '0');
  assert.equal(analyzer.pool.inUse, 0, 'no reassembly buffer held after the gap');
});

test('with tcp.reassemble_out_of_order, a record whose segments arrive out of order appears when the hole fills', () => {
  const c = new Conversation();
  c.send(0, clientHello());
  const sh = record(22, handshake(2, serverHelloBody()));
  c.send(1, sh);
  const app = Buffer.concat([record(23, Buffer.alloc(2500, 1)), record(23, Buffer.alloc(30, 2))]);
  const start = c.seq[1];
  c.send(1, app.subarray(0, 1000), { at: start });
  c.send(1, app.subarray(2000), { at: start + 2000 }); // arrives before the middle
  c.send(1, app.subarray(1000, 2000), { at: start + 1000 });
  const ooo = run(c.frames, new TlsAnalyzer(undefined, true));
  assert.equal(ooo[5].info, '[TCP segment of a reassembled PDU]');
  assert.equal(ooo[6].fields.get('tls.record.length'), undefined, 'held until the hole fills');
  assert.equal(ooo[7].info, '[TCP Out-Of-Order] , Application Data, Application Data', 'TCP\'s finding stays in front, as tshark writes it');
  assert.deepEqual(ooo[7].fields.get('tls.record.length'), ['2500', '30']);
  // tshark's default: the late middle segment is out of order and not dissected, so the first
  // record never completes.
  const byDefault = run(c.frames);
  assert.equal(byDefault[7].fields.get('tls.record.length'), undefined);
  assert.equal(byDefault[7].protocol, 'TCP');
});

test('a handshake message split over two records is named as a fragment, then in full — as tshark does', () => {
  const c = new Conversation();
  c.send(0, clientHello());
  const cert = generateSelfSignedCertificate({ commonName: 'split.tcpwatch.test' });
  const certMsg = handshake(11, Buffer.concat([u24(cert.certDer.length + 3), u24(cert.certDer.length), cert.certDer]));
  const cut = 100;
  c.send(1, Buffer.concat([record(22, handshake(2, serverHelloBody({ version13: false, cipher: 0xc02b }))), record(22, certMsg.subarray(0, cut))]));
  c.send(1, Buffer.concat([record(22, Buffer.concat([certMsg.subarray(cut), handshake(14, Buffer.alloc(0))])), record(21, Buffer.from([1, 0]))]));
  const rows = run(c.frames);
  assert.equal(rows[4].info, 'Server Hello, [Certificate Fragment]');
  assert.deepEqual(rows[4].fields.get('tls.handshake.type'), ['2']);
  assert.equal(rows[5].info, 'Certificate, Server Hello Done, Alert (Level: Warning, Description: Close Notify)');
  assert.deepEqual(rows[5].fields.get('tls.handshake.type'), ['11', '14']);
  assert.deepEqual(rows[5].fields.get('tls.handshake.certificate.subject_cn'), ['split.tcpwatch.test']);
  if (have('tshark')) {
    // The same frames through tshark: Protocol, Info and the handshake types agree.
    const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-tls-frag-'));
    try {
      const file = join(dir, 'frag.pcap');
      const w = openCaptureWriter(file, 1);
      const cf = new CapturedFrame();
      c.frames.forEach((f, i) => w.write(cf.wrap(f, 1, 1_700_000_000 + i)));
      w.close();
      const ts = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-E', 'separator=|', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info', '-e', 'tls.handshake.type',
        '-e', 'tls.handshake.fragment', '-e', 'tls.handshake.fragment.count'], { encoding: 'utf8' });
      const lines = ts.stdout.split('\n');
      const joined = (i: number, name: string): string => (rows[i].fields.get(name) ?? []).join(',');
      for (const i of [3, 4, 5]) {
        assert.equal(lines[i], `${rows[i].protocol}|${rows[i].info}|${joined(i, 'tls.handshake.type')}|${joined(i, 'tls.handshake.fragment')}|${joined(i, 'tls.handshake.fragment.count')}`, `frame ${i + 1}`);
      }
      // The details: the first piece is `Certificate (fragment)`, the second its last fragment, with the list of both
      const fragmentLines = (text: string): string[] => text.split('\n').filter((l) => /Record Layer: Handshake|Handshake Protocol: .*fragment\)|Reassembled Handshake Fragments|\[Frame: \d+, payload|Handshake Fragment count/.test(l));
      const theirs = fragmentLines(spawnSync('tshark', ['-n', '-r', file, '-V', '-Y', 'frame.number >= 5'], { encoding: 'utf8' }).stdout);
      assert.ok(theirs.some((l) => l.includes('Certificate (last fragment)')), theirs.join('\n'));
      assert.deepEqual(fragmentLines(spawnSync(process.execPath, [CLI, '-n', '-r', file, '-V', '-Y', 'frame.number >= 5'], { encoding: 'utf8' }).stdout), theirs);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('TLS is found by content on any port, and on registered TLS ports without a handshake', () => {
  // Port 9999 has no other owner in Wireshark: a Client Hello there is TLS.
  const c = new Conversation(19876);
  c.send(0, clientHello());
  assert.equal(run(c.frames)[3].info, 'Client Hello');
  // A capture that starts mid-connection on 443: an alert record is TLS because of the port.
  const mid = new Conversation(443);
  mid.send(1, record(21, Buffer.alloc(26, 5)));
  const r = run(mid.frames)[3];
  assert.equal(r.protocol, 'TLSv1.2');
  assert.equal(r.info, 'Encrypted Alert');
  // Plain text on a non-TLS port stays TCP.
  const http = new Conversation(8000);
  http.send(0, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  assert.equal(run(http.frames)[3].protocol, 'TCP');
});

test('an SSLv2-compatible Client Hello is recognised', () => {
  const c = new Conversation(4433);
  const specs = Buffer.from([0x00, 0x00, 0x2f, 0x00, 0x00, 0x35, 0x01, 0x00, 0x80]);
  const body = Buffer.concat([Buffer.from([1]), u16(0x0301), u16(specs.length), u16(0), u16(32), specs, Buffer.alloc(32, 0x44)]);
  c.send(0, Buffer.concat([Buffer.from([0x80 | (body.length >> 8), body.length & 255]), body]));
  const r = run(c.frames)[3];
  assert.equal(r.protocol, 'SSLv2');
  assert.equal(r.info, 'Client Hello');
  assert.equal(first(r, 'tls.record.version'), '0x0002');
  assert.equal(first(r, 'tls.record.length'), String(body.length));
  assert.equal(first(r, 'tls.handshake.type'), '1');
  assert.equal(first(r, 'tls.handshake.version'), '0x0301');
});

test('a HelloRetryRequest is named as one and sets TLS 1.3', () => {
  const c = new Conversation();
  c.send(0, clientHello());
  const hrr = Buffer.concat([u16(0x0303), HRR_RANDOM, vec8(Buffer.alloc(32, 0x22)), u16(0x1301), Buffer.from([0]),
    vec16(Buffer.concat([ext(43, u16(0x0304)), ext(51, u16(0x0017))]))]);
  c.send(1, Buffer.concat([record(22, handshake(2, hrr)), record(20, Buffer.from([1]))]));
  const r = run(c.frames)[4];
  assert.equal(r.protocol, 'TLSv1.3');
  assert.equal(r.info, 'Hello Retry Request, Change Cipher Spec');
  assert.equal(first(r, 'tls.handshake.type'), '2');
  // tshark 4.0 names the group a HelloRetryRequest selects under key_share_selected_group, not this field
  assert.equal(first(r, 'tls.handshake.extensions_key_share_group'), undefined);
});

test('after ChangeCipherSpec, a handshake record is an Encrypted Handshake Message', () => {
  const c = new Conversation();
  c.send(0, clientHello());
  c.send(1, record(22, handshake(2, serverHelloBody({ version13: false, cipher: 0xc02f }))));
  // GCM: 8-byte explicit nonce of zeros, then ciphertext
  c.send(0, Buffer.concat([record(22, handshake(16, vec8(Buffer.alloc(32, 1)))), record(20, Buffer.from([1])), record(22, Buffer.concat([Buffer.alloc(8), Buffer.alloc(32, 0x5a)]))]));
  const r = run(c.frames)[5];
  assert.equal(r.info, 'Client Key Exchange, Change Cipher Spec, Encrypted Handshake Message');
  assert.deepEqual(r.fields.get('tls.handshake.type'), ['16']);
});

// ---- malformed input ----

/** tshark's Info column for frame `n` (from 1) of these frames, or null when tshark is not installed. */
function tsharkInfo(frames: Buffer[], n: number): string | null {
  if (!have('tshark')) return null;
  const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-tls-malformed-'));
  try {
    const file = join(dir, 'malformed.pcap');
    const w = openCaptureWriter(file, 1);
    const cf = new CapturedFrame();
    frames.forEach((f, i) => w.write(cf.wrap(f, 1, 1_700_000_000 + i)));
    w.close();
    return spawnSync('tshark', ['-n', '-r', file, '-Y', `frame.number == ${n}`, '-T', 'fields', '-e', '_ws.col.Info'], { encoding: 'utf8' }).stdout.replace(/\n$/, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The Client Hello's row. Where tshark is installed and marks the frame malformed too, the Info
 * must be its own, mark and all. (Of these hellos tshark 4.0 marks only the extension whose length
 * runs past the block: the others it writes `Client Hello` and reads on, where tcpwatch gives up.)
 */
function malformedHello(body: Buffer, what = ''): Row {
  const c = new Conversation();
  c.send(0, record(22, handshake(1, body), 0x0301));
  const analyzer = new TlsAnalyzer();
  const r = run(c.frames, analyzer)[3];
  assert.equal(analyzer.pool.inUse, 0);
  const theirs = tsharkInfo(c.frames, 4);
  if (theirs !== null && theirs.endsWith('[Malformed Packet]')) assert.equal(r.info, theirs, `${what}: Info as tshark writes it`);
  return r;
}

test('a Client Hello whose cipher suites run past the message is malformed, and reading it stays inside', () => {
  const body = clientHelloBody();
  // cipher_suites length at 2 + 32 + 33 = 67: claim 0xfffe bytes
  body.writeUInt16BE(0xfffe, 67);
  const r = malformedHello(body, 'cipher suites past the message');
  assert.equal(r.malformed, true);
  assert.equal(r.info, 'Client Hello[Malformed Packet]');
  assert.ok((r.recordFlags[0] & RecordFlag.Malformed) !== 0);
  assert.equal(first(r, 'tls.handshake.type'), '1');
  assert.equal(r.fields.get('tls.handshake.ciphersuite'), undefined);
  assert.equal(r.fields.get('tls.handshake.ja3'), undefined, 'no fingerprint of a broken hello');
});

test('extensions: a length past the block, a zero-length ALPN, a truncated header, an absurd key_share count', () => {
  const cases: [string, Buffer][] = [
    ['length past the block', vec16(Buffer.concat([sniExt('a.example'), u16(16), u16(500), Buffer.from([0, 3, 2, 0x68, 0x32])]))],
    ['zero-length ALPN', vec16(Buffer.concat([sniExt('b.example'), ext(16, Buffer.alloc(0))]))],
    ['zero-length supported_versions', vec16(Buffer.concat([ext(43, Buffer.alloc(0))]))],
    ['truncated extension header', vec16(Buffer.concat([sniExt('c.example'), Buffer.from([0x00, 0x10])]))],
    ['absurd key_share count', vec16(ext(51, Buffer.concat([u16(0xffff), u16(0x001d), u16(0xfff0), Buffer.alloc(8)])))],
    ['ALPN name past the list', vec16(ext(16, vec16(Buffer.from([200, 0x68, 0x32]))))],
  ];
  for (const [what, block] of cases) {
    const r = malformedHello(clientHelloBody({ extBlock: block }), what);
    assert.equal(r.malformed, true, what);
    assert.equal(r.info, 'Client Hello[Malformed Packet]', what);
    // Every field still reads without throwing, and SNI parsed before the damage is still there.
    if (what !== 'zero-length supported_versions' && what !== 'absurd key_share count' && what !== 'ALPN name past the list') {
      assert.match(first(r, 'tls.handshake.extensions_server_name') ?? '', /\.example$/, what);
    }
  }
});

test('a handshake length past the record: the first message is taken as encrypted, a later one is not collected', () => {
  const c = new Conversation();
  c.send(0, clientHello());
  // First message claims 16 MiB: Wireshark's rule (64 KiB or more) calls it encrypted.
  c.send(1, record(22, Buffer.concat([Buffer.from([2, 0xff, 0xff, 0xff]), Buffer.alloc(40, 1)])));
  // A later message claims 1 MiB: it would need reassembly beyond the limit, so nothing is kept.
  c.send(1, record(22, Buffer.concat([handshake(14, Buffer.alloc(0)), Buffer.from([11, 0x10, 0x00, 0x00]), Buffer.alloc(20, 1)])));
  const analyzer = new TlsAnalyzer();
  const rows = run(c.frames, analyzer);
  assert.equal(rows[4].info, 'Encrypted Handshake Message');
  assert.equal(rows[5].info, 'Server Hello Done');
  assert.equal(analyzer.pool.inUse, 0);
  assert.ok(analyzer.stats.bytesDropped > 0);
});

test('a record that claims more than arrives is held until FIN, then let go', () => {
  const c = new Conversation();
  c.send(0, clientHello());
  c.send(1, Buffer.concat([record(22, handshake(2, serverHelloBody())), Buffer.from([23, 3, 3, 0xff, 0xff]), Buffer.alloc(100)]));
  c.send(1, Buffer.alloc(0), { flags: TH_FIN });
  c.send(0, Buffer.alloc(0), { flags: TH_FIN });
  const analyzer = new TlsAnalyzer();
  const rows = run(c.frames, analyzer);
  assert.equal(rows[4].info, 'Server Hello');
  assert.equal(analyzer.pool.inUse, 0);
  assert.ok(analyzer.stats.bytesLost > 0);
});

test('random damage to real hellos never throws and never holds more than the budget', () => {
  const c = new Conversation();
  c.send(0, clientHello());
  c.send(1, Buffer.concat([record(22, handshake(2, serverHelloBody())), record(20, Buffer.from([1]))]));
  const base = c.frames.slice();
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const analyzer = new TlsAnalyzer(1 << 20);
  for (let iter = 0; iter < 1500; iter++) {
    const frames = base.map((f) => Buffer.from(f));
    const victim = frames[3 + rnd(2)];
    const payloadStart = 54;
    for (let k = 0, n = 1 + rnd(6); k < n; k++) {
      const at = payloadStart + rnd(victim.length - payloadStart);
      victim[at] = rnd(4) === 0 ? 0xff : rnd(256);
    }
    // also cut the segment short sometimes (a lie about lengths versus bytes present)
    const cut = rnd(3) === 0 ? victim.subarray(0, payloadStart + rnd(victim.length - payloadStart)) : victim;
    if (cut !== victim) cut.writeUInt16BE(cut.length - 14, 16);
    frames[frames.indexOf(victim)] = cut;
    run(frames, analyzer);
    assert.ok(analyzer.pool.inUse <= 1 << 20);
  }
});

test('HelloView reads only inside the message', () => {
  const h = new HelloView();
  const body = clientHelloBody();
  const msg = handshake(1, body);
  assert.equal(h.parse(msg, 0, msg.length), true);
  assert.equal(h.extCount, 7);
  assert.equal(h.negotiatedVersion(), 0x0304);
  // the same bytes with the end moved inside the extensions
  assert.equal(h.parse(msg, 0, msg.length - 3), false);
  assert.equal(h.problem, HelloProblem.ExtensionsLength);
  // a session id longer than 32 bytes
  const bad = Buffer.from(msg);
  bad[4 + 34] = 33;
  assert.equal(h.parse(bad, 0, bad.length), false);
  assert.equal(h.problem, HelloProblem.SessionIdLength);
  assert.ok(getField('tls.handshake.ja4') !== undefined);
});

// Plaintext versus encrypted: the stream verdict and its entropy evidence (src/reports/verdict.ts)
// and the two-column --compare view (src/reports/compare.ts). Golden views of the lab sample (with
// its embedded key log, and rewritten without it) and of "The Illustrated TLS Connection"; the
// sample's chat reads "Hey", its HTTPS streams show ciphertext beside "GET / HTTP/1.1"; entropy is
// checked against the payload bytes tshark reads; a tampered record, streams of random bytes and
// of text, and retransmissions are built and checked here.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../src/packet-modules';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { openCaptureWriter } from '../src/capture/file-writer';
import { Pipeline } from '../src/pipeline';
import { makeAnalyzers, MainOptions } from '../src/hooks';
import { Dissection } from '../src/decode/dissection';
import { Sink } from '../src/output/sinks';
import { entropyOf, randomEntropyBaseline, StreamVerdicts, Verdict, verdictsOf, NOT_MEASURED } from '../src/reports/verdict';
import { StreamComparer, compareLines } from '../src/reports/compare';
import { buildFrame } from './helpers/frames';
import { CLI, REPO_ROOT, corpusDir } from './helpers/corpus';
import { COMPARE_CASES, GOLDEN_DIR, caseArgs, copyWithoutSecrets, envWithoutKeylog } from './helpers/compare-cases';
import { StreamVerdictTable } from '../src/store/stream-tables';

const corpus = corpusDir();
const SAMPLE = path.join(REPO_ROOT, 'samples', 'lab.pcapng');
const SAMPLE_KEYLOG = path.join(REPO_ROOT, 'samples', 'lab.keylog');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-compare-test-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: envWithoutKeylog() });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The right column ("what it means") of a --compare line, '' for lines without one. */
function right(line: string): string {
  const k = line.indexOf(' │ ');
  return k < 0 ? '' : line.slice(k + 3);
}

function left(line: string): string {
  const k = line.indexOf(' │ ');
  return k < 0 ? line : line.slice(0, k);
}

/** Shannon entropy computed the plain way, independently of tcpwatch's counters. */
function entropyOfBytes(b: Buffer): number {
  const counts = new Map<number, number>();
  for (const x of b) counts.set(x, (counts.get(x) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) h -= (c / b.length) * Math.log2(c / b.length);
  return h;
}

function histogram(b: Buffer): Uint32Array {
  const h = new Uint32Array(256);
  for (const x of b) h[x]++;
  return h;
}

test('entropy of a byte histogram: 0 for one value, 8 for all 256 evenly, log2 3 for "Hey"', () => {
  assert.equal(entropyOf(histogram(Buffer.alloc(1000, 0x41)), 0), 0);
  const all = Buffer.alloc(512);
  for (let i = 0; i < 512; i++) all[i] = i & 255;
  assert.equal(entropyOf(histogram(all), 0), 8);
  assert.ok(Math.abs(entropyOf(histogram(Buffer.from('Hey')), 0) - Math.log2(3)) < 1e-12);
  const text = Buffer.from('GET / HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n');
  assert.ok(Math.abs(entropyOf(histogram(text), 0) - entropyOfBytes(text)) < 1e-9);
  assert.equal(entropyOf(new Uint32Array(256), 0), 0);
});

test('what random bytes measure: the baseline agrees with samples of real random bytes', () => {
  for (const [n, samples] of [[6, 400], [64, 300], [1000, 60], [20000, 6]] as const) {
    let sum = 0;
    for (let k = 0; k < samples; k++) sum += entropyOf(histogram(randomBytes(n)), 0);
    const mean = sum / samples, baseline = randomEntropyBaseline(n);
    assert.ok(Math.abs(mean - baseline) < 0.03, `${n} random bytes measure ${mean.toFixed(3)} on average, the baseline says ${baseline.toFixed(3)}`);
  }
  // Past the exact sum, the Miller–Madow term: both agree where they meet.
  assert.ok(Math.abs(randomEntropyBaseline(50000) - randomEntropyBaseline(50001)) < 0.001);
  assert.ok(randomEntropyBaseline(1e9) > 7.9999);
});

test('--compare matches the golden views (regenerate with scripts/update-compare-goldens.ts)', (t) => {
  for (const c of COMPARE_CASES) {
    const args = caseArgs(c, corpus, tmp);
    if (args === null) {
      t.diagnostic(`${c.name}: skipped, the corpus is not here`);
      continue;
    }
    const golden = fs.readFileSync(path.join(GOLDEN_DIR, `${c.name}.txt`), 'utf8');
    const r = run(args);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, golden.slice(golden.indexOf('\n') + 1), `${c.name}: --compare output differs from test/golden/compare/${c.name}.txt`);
  }
});

test('the chat on 8989: "Hey" on the wire reads "Hey", verdict plaintext with low entropy', () => {
  const r = run(['-r', SAMPLE, '--compare', '0']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /^TCP stream 0: client 127\.0\.0\.1:44028 ⇄ server 127\.0\.0\.1:8989, 11 packets — plaintext$/);
  const hey = lines.find((l) => l.startsWith('0000  48 65 79 '));
  assert.ok(hey, r.stdout);
  assert.equal(right(hey), 'Hey');
  assert.match(left(hey), /48 65 79 +Hey +$/);
  assert.ok(lines.some((l) => l.startsWith('0000  48 69 0a ') && right(l) === 'Hi'));
  assert.ok(lines.includes('verdict: plaintext: not TLS; 100% of the bytes are printable text'));
  // "HeyHi\n": H twice, e y i \n once each
  const h = entropyOfBytes(Buffer.from('HeyHi\n'));
  assert.match(r.stdout, new RegExp(`entropy: ${h.toFixed(2)} bits/byte over 6 bytes of payload`));
});

test('HTTPS on 8443 with the key log embedded in the sample: ciphertext on the left, GET / HTTP/1.1 on the right', () => {
  for (const [stream, version, request] of [[1, 'TLS 1.3', 'GET / HTTP/1.1'], [2, 'TLS 1.3', 'GET /missing HTTP/1.1'], [3, 'TLS 1.2', 'GET / HTTP/1.1']] as const) {
    const r = run(['-r', SAMPLE, `--compare=${stream}`]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0], new RegExp(`— decrypted \\(${version}\\)$`));
    const at = lines.findIndex((l) => right(l) === request);
    assert.ok(at > 0, `stream ${stream}: "${request}" on the right:\n${r.stdout}`);
    // Beside the request: the record's encrypted body, as hex, with its header two lines up at most.
    assert.match(left(lines[at]), /^[0-9a-f]{4}  ([0-9a-f]{2} )+/);
    const header = lines.slice(Math.max(0, at - 3), at).find((l) => /TLS record: Application Data, TLS 1\.2, length \d+ \(encrypted\)/.test(right(l)));
    assert.ok(header, `stream ${stream}: record header before the request:\n${lines.slice(at - 3, at + 1).join('\n')}`);
    assert.match(left(header), /^[0-9a-f]{4}  17 03 03 [0-9a-f]{2} [0-9a-f]{2} +‹record header›/);
    // The plaintext is never on the wire side: no left column holds it.
    assert.ok(!lines.some((l) => left(l).includes('GET /')), 'the request line appears in the wire bytes');
    assert.ok(lines.some((l) => right(l).startsWith('decrypted with the key log: Application Data')));
    assert.ok(lines.some((l) => l.startsWith(`verdict: decrypted (${version}): all `)));
    assert.match(r.stdout, /entropy: 7\.\d\d bits\/byte over \d+ bytes of payload/);
    // The same application data measured twice: ciphertext on the wire, then its plaintext.
    const m = /^decrypted application data: (\d\.\d\d) bits\/byte as (\d+) bytes of records on the wire, (\d\.\d\d) as the (\d+) bytes of plaintext they carry$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.ok(Number(m[1]) > 7 && Number(m[3]) < 5.5, `wire ${m[1]}, plaintext ${m[3]}`);
    assert.ok(Number(m[2]) > Number(m[4]), 'records carry their plaintext plus tag (and nonce or inner type)');
  }
});

test('the same capture without its key log: encrypted-without-keys and no plaintext; --keylog brings it back', () => {
  const bare = path.join(tmp, 'lab-without-secrets.pcapng');
  copyWithoutSecrets(SAMPLE, bare);
  const r = run(['-r', bare, '--compare=1']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /— encrypted-without-keys \(TLS 1\.3\)$/);
  assert.ok(!r.stdout.includes('GET /'), 'no request line without the keys');
  const noKey = lines.filter((l) => right(l).startsWith('encrypted, no key')).length;
  assert.equal(noKey, 11, 'every protected record says it has no key');
  assert.ok(lines.includes('verdict: encrypted-without-keys (TLS 1.3): 11 protected records, no key to decrypt them'));
  // The bytes did not change, so neither did their entropy.
  const withKeys = run(['-r', SAMPLE, '--compare=1']).stdout.split('\n').find((l) => l.startsWith('entropy: '));
  assert.equal(lines.find((l) => l.startsWith('entropy: ')), withKeys);

  const fields = run(['-r', bare, '-T', 'fields', '-e', 'tcp.stream', '-e', 'tcpwatch.stream.verdict', '-e', 'tcpwatch.stream.protocol']);
  const last = lastPerStream(fields.stdout);
  assert.deepEqual(last, new Map([[0, 'plaintext\t'], [1, 'encrypted-without-keys\tTLS 1.3'], [2, 'encrypted-without-keys\tTLS 1.3'], [3, 'encrypted-without-keys\tTLS 1.2']]));

  const keyed = run(['-r', bare, '--keylog', SAMPLE_KEYLOG, '--compare=1']);
  assert.match(keyed.stdout.split('\n')[0], /— decrypted \(TLS 1\.3\)$/);
  assert.ok(keyed.stdout.split('\n').some((l) => right(l) === 'GET / HTTP/1.1'));
});

/** The last value of each stream in `-T fields -e tcp.stream -e …` output. */
function lastPerStream(out: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const line of out.trim().split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    m.set(Number(line.slice(0, tab)), line.slice(tab + 1));
  }
  return m;
}

test('a tampered record does not authenticate: verdict encrypted, and its plaintext is never shown', () => {
  const tampered = path.join(tmp, 'lab-tampered.pcapng');
  // Frame 49 carries the TLS 1.2 request (one 83-byte record); flip a bit of its authentication tag.
  copyWithoutSecrets(SAMPLE, tampered, (n, frame) => {
    if (n === 49) frame[frame.length - 1] ^= 0x01;
  });
  const r = run(['-r', tampered, '--keylog', SAMPLE_KEYLOG, '--compare=3']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /— encrypted \(TLS 1\.2\)$/);
  assert.ok(!r.stdout.includes('GET / HTTP/1.1'), 'the tampered request is not shown');
  assert.ok(lines.some((l) => right(l).startsWith('encrypted: it did not authenticate')), r.stdout);
  assert.ok(lines.some((l) => right(l) === 'HTTP/1.1 200 OK'), 'the untouched response still decrypts');
  assert.ok(lines.includes('verdict: encrypted (TLS 1.2): 5 of 6 protected records decrypted, 0 without keys, 1 unreadable (failed or unsupported)'), r.stdout);
});

test('"The Illustrated TLS Connection": ping and pong decrypted beside their ciphertext, byte for byte', { skip: corpus === null ? 'corpus not found' : false }, () => {
  for (const v of ['tls13', 'tls12']) {
    const dir = path.join(corpus!, 'tls-keys', `illustrated-${v}`);
    const r = run(['-r', path.join(dir, 'capture.pcap'), '--keylog', path.join(dir, 'keylog.txt'), '--compare']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const ping = lines.find((l) => right(l) === 'ping'), pong = lines.find((l) => right(l) === 'pong');
    assert.ok(ping && pong, r.stdout);
    // The plaintext files: TLS 1.3's end with the inner content type (23); TLS 1.2's (*dataplain,
    // a CBC suite) go on with the record's 20-byte MAC and padding.
    const plain = (name: string): string => {
      const b = fs.readFileSync(path.join(dir, 'plain', v === 'tls13' ? name : `${name}plain`));
      return (v === 'tls13' ? b.subarray(0, b.length - 1) : b.subarray(0, 4)).toString('latin1');
    };
    assert.equal(plain('clientdata'), 'ping');
    assert.equal(plain('serverdata'), 'pong');
    assert.ok(!left(ping).includes('ping') && !left(pong).includes('pong'));
    assert.ok(lines.some((l) => l.startsWith(`verdict: decrypted (TLS 1.${v === 'tls13' ? 3 : 2})`)));
    const bare = run(['-r', path.join(dir, 'capture.pcap'), '--compare']);
    assert.ok(!bare.stdout.split('\n').some((l) => right(l) === 'ping'));
    assert.ok(bare.stdout.split('\n').some((l) => l.startsWith(`verdict: encrypted-without-keys (TLS 1.${v === 'tls13' ? 3 : 2})`)));
  }
});

const noTshark = spawnSync('tshark', ['-v']).status === 0 ? false : 'tshark is not installed';

test('the entropy of each stream is that of the payload bytes tshark reads from the sample', { skip: noTshark }, () => {
  const ts = spawnSync('tshark', ['-r', SAMPLE, '-Y', 'tcp.len > 0', '-T', 'fields', '-e', 'tcp.stream', '-e', 'tcp.payload'], { encoding: 'utf8' });
  assert.equal(ts.status, 0, ts.stderr);
  const payload = new Map<number, Buffer[]>();
  for (const line of ts.stdout.trim().split('\n')) {
    const [s, hex] = line.split('\t');
    const list = payload.get(Number(s)) ?? [];
    list.push(Buffer.from(hex, 'hex'));
    payload.set(Number(s), list);
  }
  const r = run(['-r', SAMPLE, '-T', 'fields', '-e', 'tcp.stream', '-e', 'tcpwatch.stream.entropy', '-e', 'tcpwatch.stream.verdict', '-e', 'tcpwatch.stream.protocol']);
  const last = lastPerStream(r.stdout);
  assert.equal(last.size, 4);
  const measured: string[] = [];
  for (const [s, value] of last) {
    const [h, verdict, protocol] = value.split('\t');
    const expected = entropyOfBytes(Buffer.concat(payload.get(s)!));
    assert.ok(Math.abs(Number(h) - expected) < 0.0015, `stream ${s}: tcpwatch says ${h}, the bytes measure ${expected.toFixed(4)}`);
    measured.push(`${s} ${verdict} ${protocol} ${h}`);
  }
  assert.deepEqual(measured.map((m) => m.split(' ').slice(0, 2).join(' ')), ['0 plaintext', '1 decrypted', '2 decrypted', '3 decrypted']);
});

// ---- streams built here: random bytes, text, a retransmission ----

interface Seg { from: 'c' | 's'; flags: number; payload?: Buffer }

/** A TCP conversation between 10.0.0.1:port1 and 10.0.0.2:port2 as Ethernet frames, sequence numbers kept. */
function conversation(sport: number, dport: number, segs: Seg[]): Buffer[] {
  let cseq = 1000, sseq = 5000;
  const out: Buffer[] = [];
  for (const s of segs) {
    const c = s.from === 'c';
    const len = s.payload?.length ?? 0;
    out.push(buildFrame({
      src: c ? '10.0.0.1' : '10.0.0.2', dst: c ? '10.0.0.2' : '10.0.0.1', sport: c ? sport : dport, dport: c ? dport : sport,
      seq: c ? cseq : sseq, ack: c ? sseq : cseq, flags: s.flags, payload: s.payload,
    }));
    const adv = len + (s.flags & 0x003 ? 1 : 0); // SYN and FIN count one
    if (c) cseq += adv;
    else sseq += adv;
  }
  return out;
}

function handshake(): Seg[] {
  return [{ from: 'c', flags: 0x002 }, { from: 's', flags: 0x012 }, { from: 'c', flags: 0x010 }];
}

function writeCapture(file: string, frames: Buffer[]): void {
  const w = openCaptureWriter(file, 1);
  const f = new CapturedFrame();
  frames.forEach((b, i) => w.write(f.wrap(b, 1, 1700000000 + i)));
  w.close();
}

/** Run a capture through the CLI's analysis stages; returns the verdict analyzer's rows and a comparer per stream. */
function analyse(file: string): { rows: StreamVerdicts; comparers: Map<number, StreamComparer> } {
  const comparers = new Map<number, StreamComparer>();
  let rows: StreamVerdicts | null = null;
  const sink: Sink = {
    frame(d: Dissection) {
      if (d.tcp.stream < 0) return;
      let c = comparers.get(d.tcp.stream);
      if (c === undefined) comparers.set(d.tcp.stream, (c = new StreamComparer(d.tcp.stream)));
      c.add(d);
      rows = verdictsOf(d)!.rows;
    },
    end() {},
  };
  const reader = new CaptureFileReader(file);
  const opts = { field: [], fieldOption: [], pref: [], promiscuous: true, ui: false, compare: true } as unknown as MainOptions;
  const pipeline = new Pipeline({ sink, analyzers: makeAnalyzers(opts, reader) });
  const f = new CapturedFrame();
  while (reader.next(f)) pipeline.handle(f);
  reader.close();
  for (const c of comparers.values()) c.finishVerdict();
  return { rows: rows!, comparers };
}

test('streams that are not TLS: random bytes are opaque, text is plaintext, retransmitted bytes count once, 64 KiB measured each way', () => {
  const noise = randomBytes(4096);
  const text = Buffer.from('Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.\n'.repeat(41).slice(0, 4096));
  const segs = (data: Buffer, retransmit: boolean): Seg[] => {
    const out: Seg[] = handshake();
    for (let p = 0; p < data.length; p += 1024) out.push({ from: 'c', flags: 0x018, payload: data.subarray(p, p + 1024) });
    out.push({ from: 's', flags: 0x010 });
    return out;
  };
  const frames = [
    ...conversation(40001, 9000, segs(noise, false)),
    ...conversation(40002, 9001, segs(text, false)),
  ];
  // Stream 2: the text again, its second segment sent twice (same sequence number).
  const third = conversation(40003, 9002, segs(text, false));
  frames.push(...third.slice(0, 5), third[4], ...third.slice(5));
  // Stream 3: 100 KiB of random bytes: entropy is measured over the first 64 KiB of each direction.
  const bulk = randomBytes(100 * 1024);
  frames.push(...conversation(40004, 9003, segs(bulk, false)));
  const file = path.join(tmp, 'not-tls.pcap');
  writeCapture(file, frames);

  const { rows, comparers } = analyse(file);
  assert.equal(rows.row(0)!.verdict, Verdict.Opaque);
  assert.equal(rows.row(1)!.verdict, Verdict.Plaintext);
  assert.equal(rows.row(2)!.verdict, Verdict.Plaintext);
  assert.equal(rows.row(0)!.bytes[0], 4096);
  assert.equal(rows.row(2)!.bytes[0], 4096, 'the retransmitted segment is not counted again');
  assert.ok(Math.abs(rows.row(0)!.entropy[2] - entropyOfBytes(noise)) < 1e-4);
  assert.ok(Math.abs(rows.row(1)!.entropy[2] - entropyOfBytes(text)) < 1e-4);
  assert.ok(Math.abs(rows.row(2)!.entropy[2] - rows.row(1)!.entropy[2]) < 1e-6);
  assert.equal(rows.row(0)!.entropy[1], NOT_MEASURED, 'the server sent no payload');
  assert.ok(rows.row(0)!.entropy[2] > 7.9 && rows.row(1)!.entropy[2] < 4.5, `random ${rows.row(0)!.entropy[2]}, text ${rows.row(1)!.entropy[2]}`);

  assert.equal(rows.row(3)!.bytes[0], 102400);
  assert.equal(rows.row(3)!.measured[0], 65536);
  assert.ok(Math.abs(rows.row(3)!.entropy[0] - entropyOfBytes(bulk.subarray(0, 65536))) < 1e-4);
  assert.equal(rows.row(3)!.verdict, Verdict.Opaque);
  const bulkView = compareLines(comparers.get(3)!, { width: 200 }).map((l) => l.text);
  assert.ok(bulkView.some((l) => l.startsWith(`entropy: ${rows.row(3)!.entropy[2].toFixed(2)} bits/byte over the first 65536 of 102400 bytes of payload`)), bulkView.slice(-3).join('\n'));

  const opaque = compareLines(comparers.get(0)!, { width: 140 }).map((l) => l.text);
  assert.ok(opaque.some((l) => right(l) === '1024 bytes that measure like random data (encrypted or compressed)'));
  assert.ok(opaque.some((l) => l.startsWith('verdict: opaque: not TLS, but the bytes measure like random data')));
  const plain = compareLines(comparers.get(2)!, { width: 100 }).map((l) => l.text);
  assert.ok(plain.some((l) => right(l).startsWith('Lorem ipsum dolor sit amet')));
  assert.equal(plain.filter((l) => l.startsWith('── frame ')).length, 4, 'the retransmission adds no segment to the view');
  assert.ok(plain.every((l) => Array.from(l).length <= 100), 'lines fit the width');
});

test('payload text reaches the view sanitized: escape sequences and bidi controls are shown escaped', () => {
  const evil = Buffer.from('a chat line that retitles the window \x1b]0;pwned\x07, clears the screen \x1b[2J and turns \u202eevil\n', 'utf8');
  const file = path.join(tmp, 'escapes.pcap');
  writeCapture(file, conversation(40009, 8989, [...handshake(), { from: 'c', flags: 0x018, payload: evil }]));
  const lines = compareLines(analyse(file).comparers.get(0)!, { width: 300 }).map((l) => l.text);
  assert.ok(lines.every((l) => !/[\x00-\x08\x0b-\x1f\x7f\u202e]/.test(l)), 'no control character in any line');
  assert.ok(lines.some((l) => right(l) === 'a chat line that retitles the window \\x1b]0;pwned\\x07, clears the screen \\x1b[2J and turns \\u202eevil'), lines.join('\n'));
});

test('--compare escapes zero-width and other invisible format characters in payload text', () => {
  const text = Buffer.from('pay\u200bpal\u2060 \u200c\u200d\ufeffx \u2066y\u2069\n', 'utf8');
  const file = path.join(tmp, 'format-characters.pcap');
  writeCapture(file, conversation(40010, 8989, [...handshake(), { from: 'c', flags: 0x018, payload: text }]));
  const r = run(['-r', file, '--compare', '0']);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /\p{Cf}/u, 'no format character reaches the terminal');
  const rights = r.stdout.split('\n').map(right);
  assert.ok(rights.includes('pay\\u200bpal\\u2060 \\u200c\\u200d\\ufeffx \\u2066y\\u2069'), r.stdout);
});

test('verdict rows travel from the indexing process as numbers and arrive unchanged', () => {
  const { rows } = analyse(SAMPLE);
  const all = [0, 1, 2, 3];
  const copy = new StreamVerdictTable();
  copy.apply(JSON.parse(JSON.stringify(rows.flat(all))) as number[]);
  for (const s of all) {
    const a = rows.row(s)!, b = copy.row(s)!;
    assert.equal(copy.label(s), rows.label(s));
    assert.deepEqual(b.bytes, a.bytes);
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(b.entropy[k] - a.entropy[k]) < 0.001);
  }
  assert.deepEqual(all.map((s) => copy.label(s)), ['plaintext', 'decrypted (TLS 1.3)', 'decrypted (TLS 1.3)', 'decrypted (TLS 1.2)']);
});

test('--compare says which streams exist, and refuses a stream that is not a number', () => {
  let r = run(['-r', SAMPLE, '--compare', '9']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'tcpwatch: no TCP stream 9: the capture holds streams 0 to 3\n');
  r = run(['-r', SAMPLE, '--compare', 'x']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^tcpwatch: invalid stream "x" for --compare: expected a tcp\.stream number such as 0\n$/);
  const udp = path.join(tmp, 'udp-only.pcap');
  writeCapture(udp, [buildFrame({ udp: true, payload: 'hello' })]);
  r = run(['-r', udp, '--compare']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'tcpwatch: nothing to compare: the capture holds no TCP packets\n');
});

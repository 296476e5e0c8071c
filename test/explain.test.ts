// The explain view (--explain): golden ladders for the lab and for captures nobody on this project made,
// a sentence for every packet of every stream in the corpus, sentences that agree with tshark's
// expert findings, the lab's own wording for its handshake and teardown, and (as root) resets,
// half-closes and hostile payload text recorded on loopback.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connect, createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import '../src/fields';
import '../src/app/features';
import { CaptureFileReader, CaptureFileError } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { Pipeline } from '../src/pipeline';
import { makeAnalyzers, MainOptions } from '../src/hooks';
import { getField } from '../src/fields/registry';
import { Dissection } from '../src/decode/dissection';
import { Sink } from '../src/output/sinks';
import { StreamExplainer, ladderLines } from '../src/reports/explain';
import { startLoopbackCapture } from '../src/lab/scenario';
import { CLI, REPO_ROOT, corpusDir, listFiles, NO_CORPUS_REASON } from './helpers/corpus';
import { EXPLAIN_CASES, GOLDEN_DIR, caseArgs, casePath } from './helpers/explain-cases';
import { have, isRoot } from './helpers/system';

const corpus = corpusDir();
const SAMPLE = path.join(REPO_ROOT, 'samples', 'lab.pcapng');

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Explain every stream of a capture in-process, with the same analysis stages the CLI runs. */
function explainFile(file: string, keylog?: string): Map<number, StreamExplainer> {
  const streams = new Map<number, StreamExplainer>();
  const sink: Sink = {
    frame(d: Dissection) {
      if (d.tcpOff < 0 || d.tcp.stream < 0) return;
      let x = streams.get(d.tcp.stream);
      if (x === undefined) streams.set(d.tcp.stream, (x = new StreamExplainer(d.tcp.stream)));
      x.add(d);
    },
    end() {},
  };
  const reader = new CaptureFileReader(file);
  const opts = { field: [], fieldOption: [], pref: [], promiscuous: true, ui: false, keylog } as MainOptions;
  const pipeline = new Pipeline({ sink, analyzers: makeAnalyzers(opts, reader) });
  const frame = new CapturedFrame();
  try {
    for (;;) {
      try {
        if (!reader.next(frame)) break;
      } catch (e) {
        if (e instanceof CaptureFileError) break; // damaged tail: what came before is explained
        throw e;
      }
      pipeline.handle(frame);
    }
  } finally {
    pipeline.end();
    reader.close();
  }
  return streams;
}

function rowsOf(x: StreamExplainer | undefined): Map<number, string> {
  assert.ok(x, 'stream present');
  return new Map(x.rows.map((r) => [r.number, r.sentence]));
}

test('--explain matches the golden ladders (regenerate with scripts/update-explain-goldens.ts)', (t) => {
  for (const c of EXPLAIN_CASES) {
    const file = casePath(c, corpus);
    if (file === null) {
      t.diagnostic(`${c.name}: ${NO_CORPUS_REASON}`);
      continue;
    }
    const golden = fs.readFileSync(path.join(GOLDEN_DIR, `${c.name}.txt`), 'utf8');
    const expected = golden.slice(golden.indexOf('\n') + 1);
    const r = run(caseArgs(c, file));
    assert.equal(r.status, 0, `${c.name}: ${r.stderr}`);
    assert.equal(r.stdout, expected, `${c.name}: --explain output differs from test/golden/explain/${c.name}.txt`);
  }
});

test("the lab's handshake, data and teardown are explained in the lab's words", () => {
  const rows = [...rowsOf(explainFile(SAMPLE).get(0)).values()];
  assert.equal(rows.length, 11);
  const expected: RegExp[] = [
    /^Client sends SYN to start the connection; its initial sequence number is shown as Seq=0$/,
    /^Server acknowledges the SYN \(ACK=1\) and sends its own SYN/,
    /^Client completes the three-way handshake: ACK=1 confirms the server's SYN$/,
    /^Client pushes 3 bytes of data \("Hey"\); PSH asks the receiver to pass it to the application$/,
    /^Server acknowledges 3 bytes of data: ACK=4 is the next byte it expects from the client$/,
    /^Server pushes 3 bytes of data \("Hi\\n"\); PSH asks the receiver to pass it to the application$/,
    /^Client acknowledges 3 bytes of data: ACK=4/,
    /^Server sends FIN: it has no more data; ACK=4 confirms everything received$/,
    /^Client acknowledges the server's FIN: ACK=5 confirms it/,
    /^Client sends its own FIN: it has no more data either; Seq=4 continues its sequence and ACK=5 still confirms the server's FIN$/,
    /^Final ACK completes the four-way teardown: the server confirms the client's FIN \(ACK=5\); the connection is closed$/,
  ];
  expected.forEach((re, i) => assert.match(rows[i], re, `packet ${i + 1} of the chat`));
});

test('every packet of every TCP stream in the corpus gets a sentence, stream by stream as tshark numbers them', { skip: corpus === null ? NO_CORPUS_REASON : false }, () => {
  const files = listFiles(path.join(corpus!, 'valid'), (n) => /\.(pcap|pcapng)$/.test(n));
  let packets = 0;
  for (const file of files) {
    const tsv = path.join(corpus!, 'expected', path.relative(corpus!, file) + '.tsv');
    if (!fs.existsSync(tsv)) continue;
    const lines = fs.readFileSync(tsv, 'utf8').trimEnd().split('\n');
    const col = lines[0].split('\t').indexOf('tcp.stream');
    const want = new Map<number, number[]>();
    for (const line of lines.slice(1)) {
      const cells = line.split('\t');
      if (cells[col] === '') continue;
      const s = Number(cells[col]);
      if (!want.has(s)) want.set(s, []);
      want.get(s)!.push(Number(cells[0]));
    }
    const got = explainFile(file);
    assert.deepEqual([...got.keys()].sort((a, b) => a - b), [...want.keys()].sort((a, b) => a - b), `${file}: streams`);
    for (const [s, frames] of want) {
      const x = got.get(s)!;
      assert.deepEqual(x.rows.map((r) => r.number), frames, `${file}: frames of stream ${s}`);
      for (const r of x.rows) {
        assert.ok(r.sentence.length > 12 && /^[A-Z0-9]/.test(r.sentence), `${file} frame ${r.number}: "${r.sentence}"`);
        // the ladder is text for a terminal: nothing from the wire reaches it raw
        assert.doesNotMatch(r.sentence, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, `${file} frame ${r.number}`);
      }
      assert.equal(ladderLines(x).length, x.rows.length + 2);
      packets += x.rows.length;
    }
  }
  assert.ok(packets >= 1500, `explained ${packets} packets`);
});

// What the sentence says about a packet, in tshark's expert-info terms.
function findingOfSentence(s: string): string {
  if (/answers the keep-alive/.test(s)) return 'keep-alive-ack';
  if (/sends a keep-alive/.test(s)) return 'keep-alive';
  if (/Win=0 tells/.test(s)) return 'zero-window';
  if (/duplicate ACK #/.test(s)) return 'dup-ack';
  if (/again \((fast |spurious )?retransmission\)/.test(s)) return 'retransmission';
  if (/out of order/.test(s)) return 'out-of-order';
  if (/\(window update\)/.test(s)) return 'window-update';
  if (/were not captured|was not captured/.test(s)) return 'lost-segment';
  return '';
}

function findingOfInfo(info: string): string {
  if (/\[TCP ZeroWindow\]/.test(info)) return 'zero-window';
  if (/\[TCP Keep-Alive ACK\]/.test(info)) return 'keep-alive-ack';
  if (/\[TCP Keep-Alive\]/.test(info)) return 'keep-alive';
  if (/\[TCP Dup ACK /.test(info)) return 'dup-ack';
  if (/Retransmission\]/.test(info)) return 'retransmission';
  if (/\[TCP Out-Of-Order\]/.test(info)) return 'out-of-order';
  if (/\[TCP Window Update\]/.test(info)) return 'window-update';
  if (/\[TCP Previous segment not captured\]/.test(info)) return 'lost-segment';
  return '';
}

test("sentences name retransmissions, duplicate ACKs, keep-alives, zero windows and gaps exactly where tshark's expert info does", { skip: corpus === null ? NO_CORPUS_REASON : false }, () => {
  const files = listFiles(path.join(corpus!, 'valid'), (n) => /\.(pcap|pcapng)$/.test(n));
  let findings = 0;
  const disagreements: string[] = [];
  for (const file of files) {
    const tsv = path.join(corpus!, 'expected', path.relative(corpus!, file) + '.tsv');
    if (!fs.existsSync(tsv)) continue;
    const lines = fs.readFileSync(tsv, 'utf8').trimEnd().split('\n');
    const header = lines[0].split('\t');
    const streamCol = header.indexOf('tcp.stream'), infoCol = header.indexOf('_ws.col.Info');
    const theirs = new Map<number, string>();
    for (const line of lines.slice(1)) {
      const cells = line.split('\t');
      if (cells[streamCol] !== '') theirs.set(Number(cells[0]), findingOfInfo(cells[infoCol]));
    }
    for (const x of explainFile(file).values()) {
      for (const r of x.rows) {
        const mine = findingOfSentence(r.sentence);
        if (mine !== '') findings++;
        if (mine !== (theirs.get(r.number) ?? '')) disagreements.push(`${path.relative(corpus!, file)} frame ${r.number}: tshark "${theirs.get(r.number)}", explain "${r.sentence}"`);
      }
    }
  }
  assert.deepEqual(disagreements, []);
  assert.ok(findings >= 50, `${findings} packets with findings`);
});

const tlsDissected = getField('tls.handshake.extensions_server_name') !== undefined;

test('TLS on the bundled sample: Client Hello with SNI and offered version, Server Hello with the choice, records in order', { skip: tlsDissected ? false : 'TLS dissection is not in this build' }, () => {
  const streams = explainFile(SAMPLE);
  const tls13 = rowsOf(streams.get(1)), tls12 = rowsOf(streams.get(3));
  const say = (rows: Map<number, string>, re: RegExp) => assert.ok([...rows.values()].some((s) => re.test(s)), `no sentence matches ${re}:\n${[...rows.values()].join('\n')}`);
  say(tls13, /^Client Hello: TLS 1\.3 offered, SNI=localhost, \d+ cipher suites$/);
  say(tls13, /^Server Hello: TLS 1\.3 chosen, cipher suite TLS_AES_\d+_GCM_SHA\d+; Change Cipher Spec/);
  say(tls12, /^Client Hello: TLS 1\.2 offered, SNI=localhost, \d+ cipher suites$/);
  say(tls12, /^Server Hello: TLS 1\.2 chosen, cipher suite TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256; Certificate \(.+\); Server Key Exchange \(.+\); Server Hello Done/);
  const httpDecrypted = getField('http.request.method') !== undefined;
  if (httpDecrypted) {
    // the key log is embedded in the sample (pcapng Decryption Secrets Block)
    say(tls13, /Application Data, decrypted with the key log: HTTP request GET \//);
    say(tls13, /Application Data, decrypted with the key log: HTTP response 200 OK/);
    say(rowsOf(streams.get(2)), /HTTP response 404 Not Found/);
  } else {
    say(tls13, /^Application Data: \d+ encrypted bytes/);
  }
});

test('decrypted application data that is not HTTP is quoted: the Illustrated TLS 1.3 connection says "ping" and "pong"', { skip: corpus === null ? NO_CORPUS_REASON : tlsDissected ? false : 'TLS dissection is not in this build' }, () => {
  const dir = path.join(corpus!, 'tls-keys', 'illustrated-tls13');
  const rows = [...rowsOf(explainFile(path.join(dir, 'capture.pcap'), path.join(dir, 'keylog.txt')).get(0)).values()];
  assert.ok(rows.includes('Application Data, decrypted with the key log: 4 bytes of plaintext ("ping")'), rows.join('\n'));
  assert.ok(rows.includes('Application Data, decrypted with the key log: 4 bytes of plaintext ("pong")'), rows.join('\n'));
  // without the key log the same records stay encrypted, and say so
  const sealed = [...rowsOf(explainFile(path.join(dir, 'capture.pcap')).get(0)).values()];
  assert.equal(sealed.filter((s) => s === 'Application Data: 21 encrypted bytes').length, 2, sealed.join('\n'));
});

test('--explain refuses a stream number that is not one, and says which streams exist', () => {
  let r = run(['-r', SAMPLE, '--explain=x']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'tcpwatch: invalid stream "x" for --explain: expected a tcp.stream number such as 0\n');
  r = run(['-r', SAMPLE, '--explain', '99']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'tcpwatch: no TCP stream 99: the capture holds streams 0 to 3\n');
  assert.equal(r.stdout, '');
  r = run(['-r', SAMPLE, '--explain', '2']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^TCP stream 2: client 127\.0\.0\.1:\d+ ⇄ server 127\.0\.0\.1:8443, 14 packets\n/);
});

test('--explain on a capture without TCP says there is nothing to explain', { skip: corpus === null ? NO_CORPUS_REASON : false }, () => {
  const r = run(['-r', path.join(corpus!, 'valid', 'tcpdump', 'tftp.pcap'), '--explain']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'tcpwatch: nothing to explain: the capture holds no TCP packets\n');
});

const canCapture = isRoot && have('tcpdump');

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

test('recorded on loopback: a refused connection, a half-close with data after the FIN, and escape sequences in the payload', { skip: canCapture ? false : 'needs root and tcpdump' }, async () => {
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'tcpwatch-explain-'));
  const pcap = path.join(dir, 'live.pcap');
  // The server answers after the client has closed its side: the half-close the lab never shows.
  const server = createServer({ allowHalfOpen: true }, (s: Socket) => {
    s.resume();
    // write, then FIN a moment later, so data and FIN travel in separate segments
    s.on('end', () => {
      s.write('late answer \x1b[2J\x1b]0;owned\x07\n');
      setTimeout(() => s.end(), 50);
    });
  });
  const port = await listen(server);
  const closed = createServer();
  const closedPort = await listen(closed);
  await new Promise<void>((r) => closed.close(() => r()));
  try {
    const capture = await startLoopbackCapture(pcap, `tcp port ${port} or tcp port ${closedPort}`);
    try {
      await new Promise<void>((resolve) => {
        const c = connect({ host: '127.0.0.1', port: closedPort });
        c.on('error', () => resolve());
      });
      await new Promise<void>((resolve, reject) => {
        const c = connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => {
          c.write('question');
          setTimeout(() => c.end(), 50);
        });
        c.resume();
        c.on('end', () => c.end());
        c.on('close', () => resolve());
        c.on('error', reject);
      });
      await new Promise((r) => setTimeout(r, 150));
    } finally {
      await capture.stop();
    }
    const streams = explainFile(pcap);
    assert.equal(streams.size, 2);
    const refused = [...rowsOf(streams.get(0)).values()];
    assert.match(refused[0], /^Client sends SYN to start the connection/);
    assert.equal(refused[1], `Server refuses the connection: RST answers the SYN because nothing accepts connections on port ${closedPort}`);
    const chat = [...rowsOf(streams.get(1)).values()];
    const all = chat.join('\n');
    assert.match(all, /Client pushes 8 bytes of data \("question"\)/);
    assert.match(all, /^Client sends FIN: it has no more data/m);
    assert.match(all, /after the client's FIN this direction is still open \(TCP half-close\)/);
    // escape sequences are shown, never sent to the terminal
    assert.ok(all.includes('("late answer \\x1b[2J\\x1b]0;owned\\x07\\n")'), all);
    assert.doesNotMatch(all, /\x1b|\x07/);
    assert.match(chat[chat.length - 1], /^Final ACK completes the (four-way )?teardown: the client confirms the server's FIN \(ACK=\d+\); the connection is closed$/);
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

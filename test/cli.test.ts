// The headless command line as a user runs it: tshark's output formats and flags, and one clear
// line with exit status 2 for every kind of bad command line.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { corpusDir, CLI, NO_CORPUS_REASON } from './helpers/corpus';

const corpus = corpusDir();
const skip = corpus === null ? NO_CORPUS_REASON : false;
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
const dnsTcp = () => path.join(corpus!, 'valid/tcpdump/dns_tcp.pcap');

test('default output: one tshark-style summary line per packet', { skip }, () => {
  const r = run('-r', dnsTcp());
  assert.equal(r.status, 0);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 11);
  assert.equal(lines[0], '    1   0.000000 192.168.1.11 → 209.87.249.18 TCP 74 33779 → 53 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=2044906138 TSecr=0 WS=128');
  assert.match(lines[7], /^ {4}8 {3}0\.254555 192\.168\.1\.11 → 209\.87\.249\.18 TCP 54 33779 → 53 \[FIN, ACK\] Seq=59 Ack=227/);
});

test('-c stops after N packets; -T fields with -E header, separator, quote, occurrence', { skip }, () => {
  const r = run('-r', dnsTcp(), '-c', '3', '-T', 'fields', '-E', 'header=y', '-E', 'separator=,', '-E', 'quote=d', '-e', 'frame.number', '-e', 'ip.addr', '-e', 'tcp.flags.str');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trimEnd().split('\n'), [
    'frame.number,ip.addr,tcp.flags.str',
    '"1","192.168.1.11,209.87.249.18","··········S·"',
    '"2","209.87.249.18,192.168.1.11","·······A··S·"',
    '"3","192.168.1.11,209.87.249.18","·······A····"',
  ]);
  const first = run('-r', dnsTcp(), '-c', '1', '-T', 'fields', '-E', 'occurrence=f', '-e', 'tcp.port');
  assert.equal(first.stdout, '33779\n');
  const last = run('-r', dnsTcp(), '-c', '1', '-T', 'fields', '-E', 'occurrence=l', '-E', 'aggregator=/s', '-e', 'tcp.port');
  assert.equal(last.stdout, '53\n');
  const all = run('-r', dnsTcp(), '-c', '1', '-T', 'fields', '-E', 'aggregator=/s', '-e', 'tcp.port', '-E', 'separator=/t', '-e', 'frame.len');
  assert.equal(all.stdout, '33779 53\t74\n');
});

test('-T json is a JSON array in tshark\'s layout; -T ndjson one object per line', { skip }, () => {
  const r = run('-r', dnsTcp(), '-T', 'json');
  assert.equal(r.status, 0);
  const docs = JSON.parse(r.stdout);
  assert.equal(docs.length, 11);
  const layers = docs[3]._source.layers;
  assert.equal(layers.frame['frame.number'], '4');
  assert.equal(layers.ip['ip.src'], '192.168.1.11');
  assert.equal(layers.tcp['tcp.len'], '58');
  // tshark 4.0 repeats a key once per occurrence; --no-duplicate-keys folds them into an array
  assert.match(r.stdout, /"tcp\.port": "33779",\n\s*"tcp\.port": "53",/);
  const folded = JSON.parse(run('-r', dnsTcp(), '-T', 'json', '--no-duplicate-keys').stdout);
  assert.deepEqual(folded[3]._source.layers.tcp['tcp.port'], ['33779', '53']);
  const nd = run('-r', dnsTcp(), '-T', 'ndjson', '-e', 'tcp.srcport', '-e', 'frame.len');
  const lines = nd.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 11);
  assert.deepEqual(lines[1]._source.layers, { tcp: { 'tcp.srcport': '53' }, frame: { 'frame.len': '60' } });
});

test('-x prints tshark\'s hex dump; -V prints the protocol tree', { skip }, () => {
  const x = run('-r', dnsTcp(), '-c', '1', '-x');
  assert.equal(x.stdout.split('\n')[0], '0000  00 11 22 33 44 66 00 11 22 33 44 55 08 00 45 00   ..\"3Df..\"3DU..E.');
  assert.equal(x.stdout.split('\n').length, 7);
  const v = run('-r', dnsTcp(), '-c', '1', '-V');
  assert.match(v.stdout, /^Frame 1: 74 bytes on wire \(592 bits\), 74 bytes captured \(592 bits\)\n/);
  assert.match(v.stdout, /\nInternet Protocol Version 4, Src: 192\.168\.1\.11, Dst: 209\.87\.249\.18\n/);
  assert.match(v.stdout, /\n {4}Source Port: 33779\n/);
  assert.doesNotMatch(v.stdout, /Source or Destination/, 'filter-only fields stay out of the tree');
});

test('bad command lines: one clear line on stderr and exit status 2', { skip }, () => {
  const cases: [string[], RegExp][] = [
    [['-r', dnsTcp(), '-T', 'xml'], /unknown output format "xml"/],
    [['-r', dnsTcp(), '-T', 'fields', '-e', 'tcp.srcprot'], /unknown field "tcp.srcprot" \(did you mean "tcp.srcport"\?\)/],
    [['-r', dnsTcp(), '-T', 'fields'], /-T fields needs at least one -e/],
    [['-r', dnsTcp(), '-c', '-5'], /invalid packet count "-5"/],
    [['-r', dnsTcp(), '-c', 'ten'], /invalid packet count "ten"/],
    [['-r', dnsTcp(), '-T', 'fields', '-e', 'frame.len', '-E', 'occurrence=x'], /invalid -E occurrence value/],
    [['-r', dnsTcp(), '-T', 'fields', '-e', 'frame.len', '-E', 'colour=y'], /unknown -E option "colour"/],
    [['--no-such-option'], /unknown option '--no-such-option'/],
    [['-r'], /argument missing|missing/],
    [['-r', '/nonexistent/file.pcap'], /no such file/],
    [['-r', dnsTcp(), '-w', '/nonexistent-dir/out.pcap'], /cannot write/],
  ];
  for (const [args, msg] of cases) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg, args.join(' '));
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^tcpwatch: /);
  }
});

test('a closed pipe ends output quietly', { skip }, () => {
  const r = spawnSync('bash', ['-c', `node ${CLI} -r ${path.join(corpus!, 'valid/ja4/browsers-x509.pcapng')} -V | head -1`], { encoding: 'utf8' });
  assert.equal(r.stderr, '');
  assert.equal(r.stdout.split('\n').length, 2);
});

test('error messages that quote the command line escape what would drive the terminal', () => {
  const cases: [string[], string][] = [
    [['--\u001b[31mbogus'], "tcpwatch: unknown option '--\\x1b[31mbogus'\n"],
    [['--hex\u200b'], "tcpwatch: unknown option '--hex\\u200b' (did you mean --hex?)\n"],
    [['--\u009b2J\u0007'], "tcpwatch: unknown option '--\\x9b2J\\x07'\n"],
    [['-c', '\u202e1'], 'tcpwatch: invalid packet count "\\u202e1": expected a positive whole number\n'],
    [['-T', 'json\u2066'], 'tcpwatch: unknown output format "json\\u2066" for -T: use text, fields, json, jsonraw, ndjson, pdml, ek or psml\n'],
    [['-r', '/nonexistent/\u001b]0;owned\u0007'], 'tcpwatch: /nonexistent/\\x1b]0;owned\\x07: no such file\n'],
  ];
  for (const [args, want] of cases) {
    const r = run(...args);
    assert.equal(r.status, 2, JSON.stringify(args));
    assert.equal(r.stderr, want);
    assert.doesNotMatch(r.stderr, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\p{Cf}]/u);
  }
});

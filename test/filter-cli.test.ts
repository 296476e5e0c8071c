// `tcpwatch -r FILE -Y FILTER` end to end: a capture written from literal frames, read back through
// the CLI with display filters; a bad filter is one line on stderr and exit status 2.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI } from './helpers/corpus';
import { buildFrame, FrameSpec } from './helpers/frames';
import { openCaptureWriter } from '../src/capture/file-writer';
import { CapturedFrame } from '../src/capture/frame';
import { LINKTYPE } from '../src/decode/link';

const FRAMES: FrameSpec[] = [
  { sport: 40000, dport: 80, flags: 0x002 }, // 1 SYN to 80
  { sport: 80, dport: 40000, flags: 0x012, src: '104.21.234.234', dst: '192.168.1.168' }, // 2 SYN+ACK
  { sport: 40000, dport: 80, flags: 0x018, payload: 'GET / HTTP/1.1\r\n\r\n' }, // 3 request
  { sport: 40001, dport: 443, flags: 0x002 }, // 4 SYN to 443
  { udp: true, sport: 5353, dport: 53, payload: 'query' }, // 5 DNS-ish
  { v6: true, sport: 40002, dport: 8989, flags: 0x018, payload: 'hello\n' }, // 6 chat over IPv6
];

function writeCapture(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-filter-cli-'));
  const file = path.join(dir, 'frames.pcap');
  const w = openCaptureWriter(file, LINKTYPE.ETHERNET);
  const f = new CapturedFrame();
  FRAMES.forEach((spec, i) => w.write(f.wrap(buildFrame(spec), LINKTYPE.ETHERNET, 1700000000 + i)));
  w.close();
  return file;
}

const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

test('-Y selects frames and -T fields prints them', () => {
  const file = writeCapture();
  const frames = (filter: string): string => {
    const r = run('-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number');
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n').filter(Boolean).join(',');
  };
  assert.equal(frames('tcp.port == 80'), '1,2,3');
  assert.equal(frames('tcp.flags.syn == 1 && tcp.flags.ack == 0'), '1,4');
  assert.equal(frames('tcp.port in {443, 8989} or udp'), '4,5,6');
  assert.equal(frames('tcp.payload contains "GET" || ipv6'), '3,6');
  assert.equal(frames('ip.addr == 104.21.0.0/16 and not tcp.flags.syn == 1'), '3,5');
  assert.equal(frames('frame.number > 5'), '6');
  assert.equal(frames(''), '1,2,3,4,5,6');
  // The default text output: one summary line per shown frame.
  const text = run('-r', file, '-Y', 'tcp.dstport == 443');
  assert.equal(text.status, 0, text.stderr);
  assert.equal(text.stdout.trim().split('\n').length, 1);
  assert.match(text.stdout, /40001 → 443 \[SYN\]/);
});

test('a bad filter exits 2 with one line that names the column', () => {
  const file = writeCapture();
  for (const [filter, message] of [
    ['tcp.prot == 80', 'tcpwatch: display filter error at column 1: unknown field "tcp.prot" (did you mean "tcp.port"?)'],
    ['tcp.port == "abc"', 'tcpwatch: display filter error at column 13: tcp.port is an unsigned integer and cannot be compared with the string "abc"'],
    ['(tcp.port == 80', 'tcpwatch: display filter error at column 1: unbalanced parenthesis: "(" is never closed'],
    ['tcp.port == 80 80', 'tcpwatch: display filter error at column 16: unexpected "80": expected "and", "or" or the end of the filter'],
  ]) {
    const r = run('-r', file, '-Y', filter);
    assert.equal(r.status, 2, `${filter}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.deepEqual(r.stderr.trimEnd().split('\n'), [message]);
  }
});

// UDP protocols as tshark 4.0 shows them (src/protocols/<name>/): NTP so far, on the corpus captures
// frame by frame, with its display filter, and bytes that are not NTP at all.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, corpusDir, NO_CORPUS_REASON } from './helpers/corpus';
import { have } from './helpers/system';
import { buildFrame } from './helpers/frames';
import { openCaptureWriter } from '../src/capture/file-writer';
import { CapturedFrame } from '../src/capture/frame';

const corpus = corpusDir();
const run = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
const tcpwatch = (args: string[]): string => run(process.execPath, [CLI, ...args]);

const NTP_CAPTURES = [
  'valid/tcpdump-protocols/ntp.pcap', 'valid/tcpdump-protocols/ntp-control.pcap', 'valid/tcpdump-protocols/ntp-time.pcap',
  'valid/ja4/gre-sample.pcap',
];
const NTP_FIELDS = ['frame.number', '_ws.col.Protocol', '_ws.col.Info', 'ntp.flags', 'ntp.flags.li', 'ntp.flags.vn', 'ntp.flags.mode'];
const skip = corpus === null ? NO_CORPUS_REASON : !have('tshark') ? 'needs tshark' : false;

test('NTP in the corpus: Protocol, Info and the flags agree with tshark frame by frame', { skip }, () => {
  let compared = 0;
  for (const rel of NTP_CAPTURES) {
    const file = path.join(corpus!, rel);
    const args = ['-r', file, '-Y', 'udp.port == 123', '-T', 'fields', ...NTP_FIELDS.flatMap((f) => ['-e', f])];
    const want = run('tshark', ['-n', ...args]);
    const got = tcpwatch(args);
    assert.equal(got, want, rel);
    compared += want.split('\n').filter(Boolean).length;
  }
  assert.ok(compared >= 37, `compared ${compared} NTP frames`);
});

test('the display filters ntp and ntp.flags.mode == 4 select the frames tshark selects', { skip }, () => {
  for (const rel of NTP_CAPTURES) {
    const file = path.join(corpus!, rel);
    for (const filter of ['ntp', 'ntp.flags.mode == 4', 'ntp.flags.vn == 2']) {
      const args = ['-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'];
      assert.equal(tcpwatch(args), run('tshark', ['-n', ...args]), `${rel} -Y '${filter}'`);
    }
  }
});

test('a one-byte and an empty datagram to port 123 never crash', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ntp-'));
  try {
    const file = path.join(dir, 'ntp.pcap');
    const w = openCaptureWriter(file, 1);
    const f = new CapturedFrame();
    const frames = [
      buildFrame({ udp: true, sport: 123, dport: 123, payload: Buffer.from([0xe3]) }),
      buildFrame({ udp: true, sport: 40000, dport: 123, payload: Buffer.alloc(0) }),
    ];
    frames.forEach((b, i) => w.write(f.wrap(b, 1, 1_700_000_000 + i)));
    w.close();
    const out = tcpwatch(['-r', file, '-T', 'fields', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info']).split('\n');
    assert.equal(out[0], 'NTP\tNTP Version 4, client');
    assert.equal(out[1].split('\t')[0], 'UDP');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

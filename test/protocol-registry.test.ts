// A protocol is one folder and one line: the Echo protocol (RFC 862, src/protocols/echo/) is known to
// nothing outside its folder but the line in src/protocols/index.ts, and still appears in every
// view: the packet list, -V, -T json, -T fields and display filters, as tshark shows it.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, REPO_ROOT } from './helpers/corpus';
import { have } from './helpers/system';
import { buildFrame } from './helpers/frames';
import { openCaptureWriter } from '../src/capture/file-writer';
import { CapturedFrame } from '../src/capture/frame';
import '../src/packet-modules';
import { registerProtocol, udpPortProtocol, protocolNamed } from '../src/decode/protocol-registry';
import { Proto } from '../src/decode/dissection';

function writeCapture(file: string, frames: Buffer[]): void {
  const w = openCaptureWriter(file, 1);
  const f = new CapturedFrame();
  frames.forEach((b, i) => w.write(f.wrap(b, 1, 1_700_000_000 + i)));
  w.close();
}

const ECHO_FRAMES = [
  buildFrame({ udp: true, src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 7, payload: 'hello echo' }),
  buildFrame({ udp: true, src: '10.0.0.2', dst: '10.0.0.1', sport: 7, dport: 40000, payload: 'hello echo' }),
  buildFrame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40001, dport: 7, flags: 0x018, seq: 1, ack: 1, payload: 'over tcp' }),
  buildFrame({ src: '10.0.0.2', dst: '10.0.0.1', sport: 7, dport: 40001, flags: 0x018, seq: 1, ack: 9, payload: 'over tcp' }),
  // not Echo: no payload (an undissected one is tshark's `data` layer, which tcpwatch does not list yet)
  buildFrame({ udp: true, src: '10.0.0.1', dst: '10.0.0.2', sport: 40002, dport: 9999 }),
];
const FIELDS = ['frame.protocols', '_ws.col.Protocol', '_ws.col.Info', 'echo.data', 'echo.request', 'echo.response'];

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
const tcpwatch = (args: string[]) => run(process.execPath, [CLI, ...args]);

test('the Echo protocol in the list, -T fields and -Y agrees with tshark', { skip: have('tshark') ? false : 'needs tshark' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-echo-'));
  try {
    const file = path.join(dir, 'echo.pcap');
    writeCapture(file, ECHO_FRAMES);
    const fieldArgs = FIELDS.flatMap((f) => ['-e', f]);
    // tshark calls a boolean field's value 1 in -T fields, as tcpwatch does
    const want = run('tshark', ['-n', '-r', file, '-T', 'fields', ...fieldArgs]);
    const got = tcpwatch(['-r', file, '-T', 'fields', ...fieldArgs]);
    assert.equal(got, want);
    assert.match(got, /^eth:ethertype:ip:tcp:echo\tECHO\tRequest\t6f76657220746370\t1\t$/m);
    for (const filter of ['echo', 'echo.request', 'echo.data contains "tcp"', '!echo', 'echo && udp']) {
      const frames = (out: string) => out.split('\n').filter(Boolean).join(',');
      assert.equal(frames(tcpwatch(['-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'])),
        frames(run('tshark', ['-n', '-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'])), filter);
    }
    const summary = tcpwatch(['-r', file, '-c', '2']);
    assert.match(summary, /10\.0\.0\.1 → 10\.0\.0\.2 ECHO 52 Request\n.*ECHO 52 Response\n$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the Echo protocol has its node in -V and its layer in -T json, with its bytes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-echo-'));
  try {
    const file = path.join(dir, 'echo.pcap');
    writeCapture(file, ECHO_FRAMES.slice(0, 1));
    const details = tcpwatch(['-r', file, '-V']);
    assert.match(details, /^Echo\n {4}Echo data: 68656c6c6f206563686f\n {4}Echo request: /m);
    const json = JSON.parse(tcpwatch(['-r', file, '-T', 'json'])) as { _source: { layers: Record<string, Record<string, unknown>> } }[];
    const layers = json[0]._source.layers;
    assert.deepEqual(Object.keys(layers).slice(-2), ['udp', 'echo']);
    assert.equal(layers.echo['echo.data'], '68:65:6c:6c:6f:20:65:63:68:6f');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('nothing outside src/protocols/echo/ names the Echo protocol but the one line that lists it', () => {
  const mentions: string[] = [];
  const names = /protocols\/echo|['"]\.\/echo['"]|['"]echo['"]|\becho\.(data|request|response)\b|ECHO_PORT/;
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) { if (p !== path.join(REPO_ROOT, 'src', 'protocols', 'echo')) walk(p); continue; }
      if (!e.name.endsWith('.ts')) continue;
      fs.readFileSync(p, 'utf8').split('\n').forEach((line) => {
        if (names.test(line)) mentions.push(`${path.relative(REPO_ROOT, p)}: ${line.trim()}`);
      });
    }
  };
  walk(path.join(REPO_ROOT, 'src'));
  assert.deepEqual(mentions, ["src/protocols/index.ts: import './echo';"]);
});

test('dissector tables: one holder per number, the lower port first, and a clear refusal', () => {
  const vxlan = protocolNamed('vxlan')!;
  const echo = protocolNamed('echo')!;
  assert.equal(udpPortProtocol(50000, 4789), vxlan.id);
  assert.equal(udpPortProtocol(4789, 50000), vxlan.id);
  assert.equal(udpPortProtocol(7, 4789), echo.id, 'both ports registered: the lower one wins, as in Wireshark');
  assert.equal(udpPortProtocol(50000, 50001), 0);
  assert.throws(() => registerProtocol({ name: 'vxlan2', label: 'X', udpPorts: [4789], makeLayer: () => null, decode: () => Proto.None }),
    /vxlan2: udp\.port 4789 is already vxlan's/);
  assert.throws(() => registerProtocol({ name: 'echo', label: 'X', makeLayer: () => null, decode: () => Proto.None }), /registered twice/);
  assert.throws(() => registerProtocol({ name: 'big', label: 'X', tcpPorts: [70000], makeLayer: () => null, decode: () => Proto.None }), /out of range/);
});

// Capture never depends on analysis: a live capture with -w, flooded with QUIC Initial packets built
// to make CRYPTO reassembly expensive (scripts/attacks/quic-crypto-flood.ts), interleaved with small
// marker datagrams. Whatever the analysis costs, every marker must reach the -w file, and the file
// must hold every packet captured, as tcpdump's would.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI } from './helpers/corpus';
import { capBuilt, isRoot } from './helpers/system';
import { quicCryptoFloodDatagrams } from '../scripts/attacks/quic-crypto-flood';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const MARKER = Buffer.from('tcpwatch-marker:');
// Ethernet (lo) + IPv4 + UDP before the payload.
const PAYLOAD_OFF = 14 + 20 + 8;

test('a -w file under a QUIC CRYPTO flood holds every marker sent between the flood packets', { skip: isRoot && capBuilt() ? false : 'needs root and the cap module', timeout: 120_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-flood-'));
  // live capture writes -w as the account it gives root up for (src/capture/privileges.ts)
  fs.chmodSync(dir, 0o777);
  const out = path.join(dir, 'flood.pcap');
  // The receiver is bound but never read: the kernel discards what overflows its buffer, and no
  // ICMP port-unreachable is added to the capture.
  const sink = dgram.createSocket('udp4');
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
  const port = sink.address().port;
  const tx = dgram.createSocket('udp4');
  const child = spawn(process.execPath, [CLI, '-i', 'lo', '-q', '-w', out, 'udp', 'port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  try {
    const t0 = Date.now();
    while (!/listening on/.test(err)) {
      assert.ok(Date.now() - t0 < 10_000 && child.exitCode === null, `tcpwatch did not start: ${err}`);
      await sleep(10);
    }
    const flood = quicCryptoFloodDatagrams();
    const send = (b: Buffer) => new Promise<void>((r, j) => tx.send(b, port, '127.0.0.1', (e) => (e ? j(e) : r())));
    for (let i = 0; i < flood.length; i++) {
      await send(flood[i]);
      const marker = Buffer.alloc(MARKER.length + 4);
      MARKER.copy(marker);
      marker.writeUInt32BE(i, MARKER.length);
      await send(marker);
      await sleep(2);
    }
    await sleep(500);
    child.kill('SIGINT');
    const code = await exited;
    t.diagnostic(err.trim().split('\n').pop() ?? '');
    assert.equal(code, 0, err);

    const m = /(\d+) packets? captured, (\d+) written to .*?; (\d+) dropped by the kernel/.exec(err);
    assert.ok(m !== null, `closing line: ${err}`);
    const [captured, written, dropped] = [Number(m[1]), Number(m[2]), Number(m[3])];
    assert.equal(written, captured, 'every packet captured is written');
    assert.equal(dropped, 0, 'the kernel dropped packets: the capture stopped reading its ring');
    assert.equal(captured, 2 * flood.length, 'packets captured');

    const seen = new Set<number>();
    const reader = new CaptureFileReader(out);
    const f = new CapturedFrame();
    let frames = 0;
    try {
      while (reader.next(f)) {
        frames++;
        const p = f.off + PAYLOAD_OFF;
        if (f.capLen === PAYLOAD_OFF + MARKER.length + 4 && f.buf.subarray(p, p + MARKER.length).equals(MARKER)) {
          seen.add(f.buf.readUInt32BE(p + MARKER.length));
        }
      }
    } finally {
      reader.close();
    }
    assert.equal(frames, written, 'frames in the file');
    const missing = flood.map((_b, i) => i).filter((i) => !seen.has(i));
    assert.deepEqual(missing, [], 'markers missing from the -w file');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    tx.close();
    sink.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

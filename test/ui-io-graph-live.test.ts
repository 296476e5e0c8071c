// The I/O graph (I) during a live capture on lo, in a real terminal (tmux): opened before the first
// packet, under a display filter, it grows as datagrams arrive. Three bursts of small and large UDP
// datagrams are sent half an interval after each whole second since the first (so each lands in
// one 1 s interval whatever the scheduling); after each, the value axis' top and the readout at End
// name that burst's count. A second line (udp.length > 100) added between bursts counts the past
// packets again and keeps counting new ones. With nothing arriving, the UI stays idle (its steps
// once spun a core while waiting for packets). After quitting, every interval walked on screen
// equals tshark 4.0's `-z io,stat,1` on the -w file the same capture wrote.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI } from './helpers/corpus';
import { Tmux, haveTmux } from './helpers/tmux';
import { have } from './helpers/system';
import { childOf, cpuTicks } from './helpers/processes';
import { tsharkIoStat } from './helpers/io-stat';

const canLive = process.getuid?.() === 0 && haveTmux() && have('tshark') && spawnSync(process.execPath, [CLI, '-D']).status === 0;
const skip = canLive ? false : 'needs root, the cap module, tmux and tshark';

const DISPLAY_FILTER = 'udp';
const LARGE_LINE = 'udp.length > 100';
/** Datagrams of each burst: 10-byte payloads (udp.length 18) and 200-byte ones (208). */
const BURSTS = [{ small: 12, large: 8 }, { small: 25, large: 20 }, { small: 40, large: 30 }];
/** CPU the UI may use in IDLE_MS with nothing arriving: a fifth of a core (a spinning step used all of it). */
const IDLE_MS = 2000;
const IDLE_TICKS = 40;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Readout { interval: string; values: number[] }

function readout(screen: string): Readout | null {
  const line = screen.split('\n').find((l) => / <> (?:[\d.]+|Dur): /.test(l));
  const m = line === undefined ? null : /([\d.]+ <> (?:[\d.]+|Dur)): (.*?) packets\s*$/.exec(line);
  if (m === null) return null;
  return { interval: m[1], values: [...m[2].matchAll(/\S (\d): (\d+)/g)].map((v) => Number(v[2])) };
}

/** The value axis' top: the number on the line under the readout. */
function axisTop(screen: string): number {
  const lines = screen.split('\n');
  const row = lines.findIndex((l) => / <> (?:[\d.]+|Dur): /.test(l));
  const m = row < 0 ? null : /^\s*(\d+) ┤/.exec(lines[row + 1] ?? '');
  return m === null ? -1 : Number(m[1]);
}

test('I/O graph on a live capture: it grows with each burst, a line added mid-capture counts on, the UI idles, and the intervals equal tshark -z io,stat on the -w file', { skip, timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-io-live-'));
  // live capture writes -w as the account it gives root up for (src/capture/privileges.ts)
  fs.chmodSync(dir, 0o777);
  const out = path.join(dir, 'io.pcap');
  // Bound and never read: the kernel discards what it holds, and no port-unreachable joins the capture.
  const sink = dgram.createSocket('udp4');
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
  const port = sink.address().port;
  const sender = dgram.createSocket('udp4');
  const send = (bytes: number) => new Promise<void>((r, j) => sender.send(Buffer.alloc(bytes, 0x61), port, '127.0.0.1', (e) => (e ? j(e) : r())));
  const t = Tmux.start(['-i', 'lo', '-w', out, 'udp', 'port', String(port)]);
  try {
    await t.waitForText('live: lo');
    const ui = await childOf(t.panePid(), 'tcpwatch');
    t.keys('/');
    t.literal(DISPLAY_FILTER);
    t.keys('Enter');
    await t.waitForText('shown 0 / 0');
    t.keys('I');
    await t.waitForText('I/O graph: packets per 1 s');

    let t0 = 0;
    let sent = 0;
    const expected: number[][] = [];
    for (let k = 0; k < BURSTS.length; k++) {
      if (k === 2) {
        // A second line, while capturing: the packets so far are counted again, the next ones too.
        t.keys('+');
        await t.waitForText('I/O graph line, display filter:');
        t.literal(LARGE_LINE);
        t.keys('Enter');
        const s = await t.waitFor((x) => readout(x)?.values.length === 2 && !x.includes('counting'), 'the second line counted');
        assert.ok(s.includes(`2: ${LARGE_LINE}`), s);
        t.keys('End');
        await t.waitFor((x) => readout(x)?.values.join() === `${BURSTS[1].small + BURSTS[1].large},${BURSTS[1].large}`, 'the second line\'s count of burst 2');
      }
      // Half an interval past the next whole second since the first datagram.
      let slot = k;
      if (k > 0) {
        while (t0 + (slot + 0.5) * 1000 < Date.now() + 50) slot++;
        await sleep(t0 + (slot + 0.5) * 1000 - Date.now());
      } else {
        t0 = Date.now();
      }
      const b = BURSTS[k];
      for (let i = 0; i < b.small + b.large; i++) await send(i % 2 === 0 && i / 2 < b.large ? 200 : 10);
      sent += b.small + b.large;
      expected[slot] = [b.small + b.large, b.large];
      const highest = Math.max(...BURSTS.slice(0, k + 1).map((x) => x.small + x.large));
      await t.waitFor((x) => axisTop(x) === highest, `the value axis' top at ${highest} after burst ${k + 1}`);
      t.keys('End');
      const lineCount = k >= 2 ? 2 : 1;
      const s = await t.waitFor((x) => readout(x)?.interval.endsWith('<> Dur') === true && readout(x)?.values[0] === b.small + b.large,
        `burst ${k + 1} in the last interval`);
      assert.deepEqual(readout(s)!.values, expected[slot].slice(0, lineCount), `burst ${k + 1}: ${readout(s)!.interval}`);
    }

    // Nothing arrives: the display filter's and the graph's steps wait for packets, not for time.
    const before = cpuTicks(ui);
    await sleep(IDLE_MS);
    const idle = cpuTicks(ui) - before;
    assert.ok(idle <= IDLE_TICKS, `the UI used ${idle} clock ticks of CPU in ${IDLE_MS} ms with nothing arriving`);

    // Every interval on screen, from the first.
    t.keys('Home');
    const walked: Readout[] = [];
    for (let k = 0; ; k++) {
      const s = await t.waitFor((x) => readout(x)?.interval.startsWith(`${k} <>`) === true && readout(x)?.values.length === 2, `interval ${k}`);
      walked.push(readout(s)!);
      if (walked[k].interval.endsWith('Dur')) break;
      t.keys('Right');
    }
    t.keys('Escape');
    await t.waitForText('Packet details');
    t.keys('q');
    const after = await t.waitForText('[tcpwatch exited', 20_000);
    assert.match(after, new RegExp(`^${sent} packets captured, ${sent} written to `, 'm'));

    const rows = tsharkIoStat(out, '1', [DISPLAY_FILTER, LARGE_LINE]);
    assert.equal(walked.length, rows.length, `intervals on screen ${walked.map((w) => w.interval).join(' | ')}`);
    rows.forEach((r, k) => {
      assert.deepEqual(walked[k].values, r.frames, `interval ${walked[k].interval}`);
      assert.deepEqual(r.frames, expected[k] ?? [0, 0], `tshark's interval ${k}: the burst sent there`);
    });
  } finally {
    t.kill();
    sink.close();
    sender.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// The full-screen UI while a display filter runs over packets built to make regular expressions
// slow: q, Ctrl-C, Esc and SIGTERM are answered at once, and the terminal is left as it was found
// (alternate screen off, cursor shown, mouse reporting off).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openCaptureWriter } from '../src/capture/file-writer';
import { CapturedFrame } from '../src/capture/frame';
import { LINKTYPE } from '../src/decode/link';
import { buildFrame } from './helpers/frames';
import { Tmux, haveTmux } from './helpers/tmux';

const skip = haveTmux() ? false : 'tmux is not installed';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-hostile-ui-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** N frames of PAYLOAD on one TCP connection. */
function capture(name: string, n: number, payload: Buffer): string {
  const file = path.join(tmp, name);
  const w = openCaptureWriter(file, LINKTYPE.ETHERNET);
  const f = new CapturedFrame();
  for (let i = 0; i < n; i++) {
    w.write(f.wrap(buildFrame({ sport: 40000, dport: 9, seq: 1 + i * payload.length, flags: 0x018, payload }), LINKTYPE.ETHERNET, 1700000000 + i / 1000));
  }
  w.close();
  return file;
}

// 41 A's and a B: the input on which a backtracking engine tries every way of splitting the A's
// among the groups of ^(A+)+$ (2^40 ways) before answering "no".
const EVIL = Buffer.from('A'.repeat(41) + 'B');
// A pattern that keeps the linear engine near its step budget on every packet of 1400 A's (too
// many DFA states, so the NFA simulation runs it), so the filter is still running when the key
// arrives: tens of milliseconds a packet, minutes in all.
const HEAVY_PATTERN = '^(?:A?){3000}B';
const HEAVY = Buffer.alloc(1400, 0x41);

interface Terminal {
  alternate: boolean;
  cursorShown: boolean;
  mouse: boolean;
}

function terminalState(t: Tmux): Terminal {
  const out = execFileSync('tmux', ['-L', t.socket, '-f', '/dev/null', 'display-message', '-p', '-t', t.session, '#{alternate_on} #{cursor_flag} #{mouse_any_flag}'], { encoding: 'utf8' }).trim().split(' ');
  return { alternate: out[0] === '1', cursorShown: out[1] === '1', mouse: out[2] === '1' };
}

/** Milliseconds from now until the shell prints tcpwatch's exit line, polled every 10 ms. */
async function untilExited(t: Tmux, timeoutMs: number): Promise<{ ms: number; status: string }> {
  const t0 = performance.now();
  for (;;) {
    const m = /\[tcpwatch exited (\d+)\]/.exec(t.screen());
    if (m) return { ms: performance.now() - t0, status: m[1] };
    if (performance.now() - t0 > timeoutMs) throw new Error(`tcpwatch still running after ${timeoutMs} ms; screen:\n${t.screen()}`);
    await sleep(10);
  }
}

function assertRestored(t: Tmux): void {
  const st = terminalState(t);
  assert.equal(st.alternate, false, 'the alternate screen was left');
  assert.equal(st.cursorShown, true, 'the cursor is shown again');
  assert.equal(st.mouse, false, 'mouse reporting is off');
}

async function withUi(file: string, filter: string, run: (t: Tmux) => Promise<void>): Promise<void> {
  const t = Tmux.start(['-r', file, '-Y', filter]);
  try {
    await t.waitForText(/shown \d+ \/ \d+/, 20000);
    assert.equal(terminalState(t).alternate, true, 'the UI runs on the alternate screen');
    await run(t);
  } finally {
    t.kill();
  }
}

test('q quits within a second while matches "^(A+)+$" runs over thousands of 42-byte packets', { skip }, async () => {
  const file = capture('evil.pcap', 20000, EVIL);
  await withUi(file, 'tcp.payload matches "^(A+)+$"', async (t) => {
    t.keys('q');
    const r = await untilExited(t, 5000);
    assert.equal(r.status, '0');
    assert.ok(r.ms < 1000, `exited ${r.ms.toFixed(0)} ms after q`);
    assertRestored(t);
  });
});

test('q, Ctrl-C and Esc are answered while a filter at its work budget is still running', { skip }, async () => {
  const file = capture('heavy.pcap', 3000, HEAVY);
  const filter = `tcp.payload matches "${HEAVY_PATTERN}"`;
  // Esc closes the help over a running filter at once; then q quits.
  await withUi(file, filter, async (t) => {
    await t.waitForText('filtering…', 10000);
    t.keys('?');
    await t.waitForText('tcpwatch — keys', 2000);
    const t0 = performance.now();
    t.keys('Escape');
    await t.waitForText('Display filter:', 2000);
    assert.ok(performance.now() - t0 < 1000, `Esc answered in ${(performance.now() - t0).toFixed(0)} ms`);
    assert.match(t.screen(), /filtering… \d+%/, 'the filter is still running');
    t.keys('q');
    const r = await untilExited(t, 5000);
    assert.equal(r.status, '0');
    assert.ok(r.ms < 1000, `exited ${r.ms.toFixed(0)} ms after q`);
    assertRestored(t);
  });
  await withUi(file, filter, async (t) => {
    await t.waitForText('filtering…', 10000);
    t.keys('C-c');
    const r = await untilExited(t, 5000);
    assert.ok(r.ms < 1000, `exited ${r.ms.toFixed(0)} ms after Ctrl-C`);
    assertRestored(t);
  });
});

test('SIGTERM while a filter runs: the terminal is restored before tcpwatch exits', { skip }, async () => {
  const file = capture('heavy-term.pcap', 3000, HEAVY);
  await withUi(file, `tcp.payload matches "${HEAVY_PATTERN}"`, async (t) => {
    await t.waitForText('filtering…', 10000);
    // The shell of the pane runs tcpwatch (node) as its child.
    const children = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(t.panePid())], { encoding: 'utf8' }).trim().split('\n');
    const node = children.map((l) => l.trim().split(/\s+/)).find(([, comm]) => comm === 'node');
    assert.ok(node, `tcpwatch among the shell's children: ${children.join('; ')}`);
    process.kill(Number(node[0]), 'SIGTERM');
    const r = await untilExited(t, 5000);
    assert.ok(r.ms < 1000, `exited ${r.ms.toFixed(0)} ms after SIGTERM`);
    assertRestored(t);
    assert.doesNotMatch(t.screen(), /Packet details|Display filter:/, 'the UI is gone from the screen');
  });
});

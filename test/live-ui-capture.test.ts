// The live UI captures in a separate process (src/capture/capture-child.ts) that writes every frame
// to a spool file the UI indexes (issue 10): a UI that does not run for seconds loses nothing, the
// kernel's drops are counted and said (status bar and closing line), and a real hangup (the
// terminal closing: tmux kill-server) ends the UI and headless capture with exit status 0 and a
// complete -w file. Real captures on lo, real traffic, the UI in tmux.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI } from './helpers/corpus';
import { Tmux, haveTmux } from './helpers/tmux';
import { childOf } from './helpers/processes';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { prepareUdpLoad, LOAD_TAG } from '../scripts/loopback-load';

const canLive = process.getuid?.() === 0 && haveTmux() && spawnSync(process.execPath, [CLI, '-D']).status === 0 &&
  spawnSync('python3', ['--version']).status === 0;
const skip = canLive ? false : 'needs root, the cap module, tmux and python3';
// Ethernet (lo's zero MAC header) + IPv4 without options + UDP: where the sender's tag starts.
const UDP_PAYLOAD_OFF = 14 + 20 + 8;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function processState(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
}

/** Sequence numbers of the load's datagrams in a capture file, and its frame count. */
function datagrams(file: string): { frames: number; seqs: Set<number> } {
  const r = new CaptureFileReader(file);
  const f = new CapturedFrame();
  const seqs = new Set<number>();
  let frames = 0;
  try {
    while (r.next(f)) {
      frames++;
      if (f.capLen >= UDP_PAYLOAD_OFF + 8 && f.buf.readUInt32BE(f.off + UDP_PAYLOAD_OFF) === LOAD_TAG) seqs.add(f.buf.readUInt32BE(f.off + UDP_PAYLOAD_OFF + 4));
    }
  } finally {
    r.close();
  }
  return { frames, seqs };
}

function statusBar(screen: string): string {
  return screen.trimEnd().split('\n').pop() ?? '';
}

test('the UI stopped for 2 s under 1000 datagrams/s loses none: its capture process keeps reading the ring', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ui-stall-'));
  // live capture writes -w as the account it gives root up for (src/capture/privileges.ts)
  fs.chmodSync(dir, 0o777);
  const out = path.join(dir, 'stall.pcap');
  const load = await prepareUdpLoad(1000, 3);
  // A 4 MiB ring holds about 30 packets on lo: had the UI's own thread been reading it, a 2 s stop would lose ~2000.
  const t = Tmux.start(['-i', 'lo', '-B', '4', '-w', out, 'udp', 'port', String(load.port)]);
  try {
    await t.waitForText('live: lo');
    const ui = await childOf(t.panePid());
    const capture = await childOf(ui, 'capture-child.js');
    process.kill(ui, 'SIGSTOP');
    const sending = load.go();
    await sleep(2000);
    assert.equal(processState(ui), 'T', 'the UI was stopped');
    process.kill(ui, 'SIGCONT');
    const { sent } = await sending;
    assert.ok(sent >= 1500, `sent ${sent}`);
    const s = await t.waitForText(`shown ${sent} / ${sent}`, 20_000);
    assert.match(statusBar(s), /drops 0 /);
    assert.ok(fs.existsSync(`/proc/${capture}`), 'the capture process runs until the UI quits');
    t.keys('q');
    const after = await t.waitForText('[tcpwatch exited');
    assert.match(after, new RegExp(`^${sent} packets captured, ${sent} written to ${out.replace(/\./g, '\\.')}; 0 dropped by the kernel\\n\\[tcpwatch exited 0\\]`, 'm'));
    const d = datagrams(out);
    assert.equal(d.frames, sent);
    assert.equal(d.seqs.size, sent, 'every datagram, once');
  } finally {
    t.kill();
    load.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('kernel drops while the capture process is stopped: the status bar and the closing line count them, captured + dropped = sent', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ui-drops-'));
  // live capture writes -w as the account it gives root up for (src/capture/privileges.ts)
  fs.chmodSync(dir, 0o777);
  const out = path.join(dir, 'drops.pcap');
  // 400 datagrams in a burst into a 1 MiB ring (a handful of slots) nobody reads.
  const load = await prepareUdpLoad(4000, 0.1);
  const t = Tmux.start(['-i', 'lo', '-B', '1', '-w', out, 'udp', 'port', String(load.port)]);
  try {
    await t.waitForText('live: lo');
    const ui = await childOf(t.panePid());
    const capture = await childOf(ui, 'capture-child.js');
    process.kill(capture, 'SIGSTOP');
    let sent: number;
    try {
      sent = (await load.go()).sent;
      await sleep(100);
    } finally {
      process.kill(capture, 'SIGCONT');
    }
    // the kernel's counters reach the status bar within a second
    const s = await t.waitFor((x) => {
      const m = /shown (\d+) \/ (\d+) .*drops (\d+)/.exec(statusBar(x));
      return m !== null && m[1] === m[2] && Number(m[1]) + Number(m[3]) === sent;
    }, `captured + dropped = ${sent}`, 10_000);
    const m = /shown (\d+) \/ \d+ .*drops (\d+)/.exec(statusBar(s))!;
    const shown = Number(m[1]), drops = Number(m[2]);
    assert.ok(drops > 0 && shown > 0, statusBar(s));
    t.keys('q');
    const after = await t.waitForText('[tcpwatch exited');
    assert.match(after, new RegExp(`^${shown} packets captured, ${shown} written to \\S+; ${drops} dropped by the kernel\\n\\[tcpwatch exited 0\\]`, 'm'));
    assert.equal(datagrams(out).seqs.size, shown);
  } finally {
    t.kill();
    load.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// The terminal's program: tcpwatch under a parent that, like an interactive shell on hangup,
// resends SIGHUP to its job, waits for it and writes its exit status to a file (the shell that
// tmux would start dies with the terminal, and the status with it).
const HANGUP_PARENT = String.raw`
import os, signal, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
signal.signal(signal.SIGHUP, lambda *a: os.kill(pid, signal.SIGHUP))
_, st = os.waitpid(pid, 0)
with open(sys.argv[1], 'w') as f:
    f.write(str(os.waitstatus_to_exitcode(st)))
`;

for (const mode of ['UI', 'headless -q'] as const) {
  test(`a real hangup (tmux kill-server) ends the ${mode} capture with exit status 0 and a complete -w file`, { skip }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-hangup-'));
    // live capture writes -w as the account it gives root up for (src/capture/privileges.ts)
    fs.chmodSync(dir, 0o777);
    const out = path.join(dir, 'hup.pcap');
    const statusFile = path.join(dir, 'status');
    const load = await prepareUdpLoad(1000, 0.3);
    const args = [CLI, '-i', 'lo', ...(mode === 'UI' ? [] : ['-q']), '-w', out, 'udp', 'port', String(load.port)];
    const t = Tmux.startProgram(['python3', '-c', HANGUP_PARENT, statusFile, process.execPath, ...args]);
    try {
      if (mode === 'UI') await t.waitForText('live: lo');
      else await t.waitForText('listening on lo');
      const { sent } = await load.go();
      if (mode === 'UI') await t.waitForText(`shown ${sent} / ${sent}`);
      else await sleep(300);
      t.kill();
      const deadline = Date.now() + 15_000;
      while (!(fs.existsSync(statusFile) && fs.statSync(statusFile).size > 0) && Date.now() < deadline) await sleep(50);
      assert.equal(fs.readFileSync(statusFile, 'utf8'), '0', 'exit status after the hangup (134 was Node aborting in ResetStdio)');
      const d = datagrams(out);
      assert.equal(d.frames, sent);
      assert.equal(d.seqs.size, sent);
    } finally {
      t.kill();
      load.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

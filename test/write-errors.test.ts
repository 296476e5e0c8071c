// A -w file that cannot be written (issue 10): a path that cannot be created, or a device that
// takes nothing (/dev/full), is one line and exit status 2 before anything is captured; a disk that
// fills up mid-capture (a 64 KiB tmpfs mounted for the test) stops the capture at once with one line
// naming the file, the error and the packets it holds, exit status 1 (as tcpdump), and the file is
// cut back to its last whole packet, so tshark reads it without "cut short". Headless live capture,
// reading a file with -w, the UI, and the writers themselves; and the live UI's own spool file when
// its temporary directory fills.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CLI, corpusDir } from './helpers/corpus';
import { Tmux, haveTmux, quitDiscarding } from './helpers/tmux';
import { openCaptureWriter, CaptureWriteError } from '../src/capture/file-writer';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { prepareUdpLoad, LOAD_TAG } from '../scripts/loopback-load';
import { capBuilt, have, isRoot } from './helpers/system';

const TMPFS_BYTES = 64 * 1024;
const UDP_PAYLOAD_OFF = 14 + 20 + 8;

const canMount = isRoot && have('mount') && have('umount');
const canCapture = isRoot && capBuilt() && have('tshark') && have('python3');

/** A 64 KiB tmpfs for the duration of fn; unmounted afterwards whatever happens. */
async function withTinyDisk(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-full-'));
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES / 1024}k,mode=1777`, 'tmpfs', dir], { encoding: 'utf8' });
  assert.equal(m.status, 0, `mount: ${m.stderr}`);
  try {
    await fn(dir);
  } finally {
    spawnSync('umount', [dir]);
    fs.rmdirSync(dir);
  }
}

/** tshark's frame count for the file, and anything it said on stderr (a "cut short" warning …). */
function tsharkRead(file: string): { frames: number; complaint: string } {
  const r = spawnSync('tshark', ['-r', file, '-n', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
  const complaint = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/^Running as user/.test(l)).join(' ');
  return { frames: r.stdout.split('\n').filter((l) => l !== '').length, complaint: r.status === 0 ? complaint : `${complaint} (status ${r.status})` };
}

/** Sequence numbers of the load's datagrams in a -w file, in file order. */
function loadSequence(file: string): number[] {
  const reader = new CaptureFileReader(file);
  const f = new CapturedFrame();
  const seqs: number[] = [];
  try {
    while (reader.next(f)) {
      if (f.capLen >= UDP_PAYLOAD_OFF + 8 && f.buf.readUInt32BE(f.off + UDP_PAYLOAD_OFF) === LOAD_TAG) seqs.push(f.buf.readUInt32BE(f.off + UDP_PAYLOAD_OFF + 4));
    }
  } finally {
    reader.close();
  }
  return seqs;
}

function frameOf(len: number, i: number): CapturedFrame {
  return new CapturedFrame().wrap(Buffer.alloc(len, i & 0xff), 1, 1_700_000_000 + i);
}

test('writers on a full disk: the file is cut back to its last whole packet and every later flush says the same', { skip: canMount && have('tshark') ? false : 'needs root (mount) and tshark' }, async () => {
  await withTinyDisk(async (dir) => {
    for (const name of ['full.pcap', 'full.pcapng']) {
      const file = path.join(dir, name);
      const w = openCaptureWriter(file, 1);
      let failure: unknown = null;
      let handed = 0;
      // 300-byte frames: 1 MiB of them would not fit, and the first flush (at 1 MiB) tears one
      for (let i = 0; i < 5000 && failure === null; i++) {
        try {
          w.write(frameOf(300, i));
          handed++;
        } catch (e) {
          failure = e;
        }
      }
      assert.ok(failure instanceof CaptureWriteError, `${name}: ${String(failure)}`);
      const err = failure as CaptureWriteError;
      assert.equal(err.code, 'ENOSPC');
      assert.equal(err.message, `${file}: cannot write (ENOSPC: no space left on device)`);
      assert.throws(() => w.flush(), (e) => e === failure, 'a later flush reports the same failure');
      w.close();
      const size = fs.statSync(file).size;
      const header = name.endsWith('.pcapng') ? 28 + 32 : 24;
      const record = name.endsWith('.pcapng') ? 32 + 300 : 16 + 300;
      assert.equal((size - header) % record, 0, `${name}: ${size} bytes is whole records`);
      assert.equal(err.framesInFile, (size - header) / record);
      assert.equal(w.framesWritten, err.framesInFile, 'framesWritten is what the file holds');
      assert.ok(err.framesInFile > 150 && err.framesInFile < handed, `${err.framesInFile} of ${handed}`);
      const t = tsharkRead(file);
      assert.equal(t.complaint, '');
      assert.equal(t.frames, err.framesInFile);
      fs.rmSync(file);
    }
  });
});

test('-r FILE -w on a disk that fills: one line with the packets kept, exit status 1, file readable', { skip: canMount && have('tshark') && corpusDir() !== null ? false : 'needs root (mount), tshark and the corpus' }, async () => {
  const big = path.join(corpusDir()!, 'valid', 'ja4', 'tls3.pcapng');
  await withTinyDisk(async (dir) => {
    const out = path.join(dir, 'copy.pcap');
    const r = spawnSync(process.execPath, [CLI, '-r', big, '-w', out], { encoding: 'utf8' });
    const m = /^tcpwatch: (.*): cannot write \(ENOSPC: no space left on device\); stopped, the file holds the first (\d+) packets\n$/.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.equal(m![1], out);
    assert.equal(r.status, 1);
    const t = tsharkRead(out);
    assert.equal(t.complaint, '');
    assert.equal(t.frames, Number(m![2]));
    assert.ok(t.frames > 0);
  });
});

interface Run {
  status: number | null;
  stderr: string;
  /** Milliseconds from start to exit. */
  ms: number;
}

function runCli(args: string[], opts: { uid?: number; gid?: number; argv0?: string[] } = {}): { done: Promise<Run>; started: Promise<void> } {
  const t0 = Date.now();
  const cmd = opts.argv0 ?? [process.execPath];
  const child = spawn(cmd[0], [...cmd.slice(1), CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'], uid: opts.uid, gid: opts.gid });
  let stderr = '';
  let markStarted: () => void = () => {};
  const started = new Promise<void>((r) => (markStarted = r));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (stderr.includes('listening on')) markStarted();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const done = new Promise<Run>((resolve) => child.on('close', (status) => {
    clearTimeout(timer);
    markStarted();
    resolve({ status, stderr, ms: Date.now() - t0 });
  }));
  return { done, started };
}

test('live -w on a disk that fills mid-capture: stops at once, one line, exit status 1, the packets so far readable', { skip: canMount && canCapture ? false : 'needs root (mount), the cap module, tshark and python3' }, async () => {
  await withTinyDisk(async (dir) => {
    const out = path.join(dir, 'live.pcap');
    // 3000 datagrams a second for 4 s: 64 KiB holds about 850 of them, so the disk fills in the first second
    const load = await prepareUdpLoad(3000, 4);
    try {
      const run = runCli(['-i', 'lo', '-q', '-w', out, 'udp', 'port', String(load.port)]);
      await run.started;
      void load.go();
      const t0 = Date.now();
      const r = await run.done;
      const stoppedAfter = Date.now() - t0;
      const lines = r.stderr.trimEnd().split('\n');
      assert.match(lines[0], /^listening on lo, /);
      assert.match(lines[1], /^\d+ packets captured, (\d+) written to /);
      const written = Number(/, (\d+) written to /.exec(lines[1])![1]);
      assert.equal(lines[2], `tcpwatch: ${out}: cannot write (ENOSPC: no space left on device); capture stopped, the file holds the first ${written} packets`);
      assert.equal(lines.length, 3, r.stderr);
      assert.equal(r.status, 1);
      // the load runs for 4 s; tcpwatch stopped by itself well before, within a flush interval or two of the disk filling
      assert.ok(stoppedAfter < 3000, `stopped ${stoppedAfter} ms after the load began`);
      const t = tsharkRead(out);
      assert.equal(t.complaint, '');
      assert.equal(t.frames, written);
      assert.ok(fs.statSync(out).size <= TMPFS_BYTES);
      const seqs = loadSequence(out);
      assert.equal(seqs.length, written);
      assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), 'datagrams in the order they were sent');
    } finally {
      load.kill();
    }
  });
});

test('live -w into a directory the user may not write: one line, exit status 2, nothing captured', { skip: canCapture && have('setpriv') ? false : 'needs root, the cap module and setpriv' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-nowrite-'));
  try {
    fs.chmodSync(dir, 0o755);
    const target = path.join(dir, 'x.pcap');
    // -Z nobody: root opens the device, then gives up root before the file is created
    const dropped = await runCli(['-i', 'lo', '-q', '-Z', 'nobody', '-w', target, 'udp', 'port', '9']).done;
    assert.equal(dropped.stderr, `tcpwatch: ${target}: cannot write (EACCES)\n`);
    assert.equal(dropped.status, 2);
    // uid 65534 from the start, allowed to capture through an ambient CAP_NET_RAW
    const setpriv = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=+net_raw', '--ambient-caps=+net_raw', '--', process.execPath];
    const nobody = await runCli(['-i', 'lo', '-q', '-w', target, 'udp', 'port', '9'], { argv0: setpriv }).done;
    assert.equal(nobody.stderr, `tcpwatch: ${target}: cannot write (EACCES)\n`);
    assert.equal(nobody.status, 2);
    assert.ok(!fs.existsSync(target));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('UI on a disk that fills mid-capture: the status bar says so, quitting prints one line and exits 1', { skip: canMount && canCapture && haveTmux() ? false : 'needs root (mount), the cap module, tshark, python3 and tmux' }, async () => {
  await withTinyDisk(async (dir) => {
    const out = path.join(dir, 'ui.pcap');
    const load = await prepareUdpLoad(3000, 4);
    // wide enough for the whole status bar: at 160 columns the message is the part cut off
    const t = Tmux.start(['-i', 'lo', '-w', out, 'udp', 'port', String(load.port)], {}, 240, 40);
    try {
      await t.waitForText('live: lo');
      void load.go();
      const screen = await t.waitForText('cannot write ui.pcap (ENOSPC): capture stopped', 10_000);
      const shown = Number(/capture stopped, (\d+) packets in the file/.exec(screen)?.[1]);
      load.kill();
      t.keys('q');
      const after = await t.waitForText('[tcpwatch exited');
      const m = /tcpwatch: (\S+): cannot write \(ENOSPC: no space left on device\); capture stopped, the file holds the first (\d+) packets\s*\n\[tcpwatch exited 1\]/.exec(after);
      assert.ok(m, after);
      assert.equal(m![1], out);
      const read = tsharkRead(out);
      assert.equal(read.complaint, '');
      assert.equal(read.frames, Number(m![2]));
      assert.equal(read.frames, shown);
      assert.ok(read.frames > 0);
    } finally {
      t.kill();
      load.kill();
    }
  });
});

test('UI whose spool (its temporary file) fills the disk: the status bar says so, quitting prints one line and exits 1', { skip: canMount && canCapture && haveTmux() ? false : 'needs root (mount), the cap module, tshark, python3 and tmux' }, async () => {
  await withTinyDisk(async (dir) => {
    const load = await prepareUdpLoad(3000, 4);
    const t = Tmux.start(['-i', 'lo', 'udp', 'port', String(load.port)], { TMPDIR: dir }, 240, 40);
    try {
      await t.waitForText('live: lo');
      void load.go();
      const screen = await t.waitForText('cannot write the spool file (ENOSPC)', 10_000);
      const shown = Number(/shown (\d+) \/ \d+/.exec(screen)?.[1]);
      assert.ok(shown > 0 && shown < 3000, `shown ${shown}`);
      load.kill();
      // What the UI had indexed stays browsable after the capture stopped.
      t.keys('End');
      await t.waitForText(`${shown} `);
      await quitDiscarding(t);
      const after = await t.waitForText('[tcpwatch exited');
      assert.match(after, /tcpwatch: cannot write the spool file \(ENOSPC\)\s*\n\[tcpwatch exited 1\]/);
    } finally {
      t.kill();
      load.kill();
    }
  });
});

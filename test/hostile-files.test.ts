// Files in shared directories: a symbolic link planted at the -w path is refused (one line, exit
// status 2) and what it points to is left untouched; tcpwatch's own temporary files (spool, spill,
// ring) are created by the call that opens them, owner-only, never through a link.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI } from './helpers/corpus';
import { buildFrame } from './helpers/frames';
import { capBuilt, isRoot } from './helpers/system';
import { createPrivateFile, openCaptureWriter } from '../src/capture/file-writer';
import { createSpoolFile } from '../src/capture/spool';
import { FrameSpool } from '../src/capture/spill';
import { CapturedFrame } from '../src/capture/frame';
import { LINKTYPE } from '../src/decode/link';
// the whole set of protocols and stages, as tcpwatch and the library load them
import '../src/packet-modules';
import { PacketStore } from '../src/store/packet-store';
import { MainOptions } from '../src/hooks';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-hostile-files-'));
// Live capture writes -w after giving up root (to the tcpdump account or nobody): the directory
// must let that account in, or the refusal would be EACCES instead of the link's.
fs.chmodSync(tmp, 0o777);
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function capture(): string {
  const file = path.join(tmp, 'in.pcap');
  if (fs.existsSync(file)) return file;
  const w = openCaptureWriter(file, LINKTYPE.ETHERNET);
  const f = new CapturedFrame();
  for (let i = 0; i < 3; i++) w.write(f.wrap(buildFrame({ flags: 0x018, payload: `frame ${i}` }), LINKTYPE.ETHERNET, 1700000000 + i));
  w.close();
  return file;
}

/** A victim file and a link to it in a "shared" directory. */
function plant(name: string): { victim: string; link: string } {
  const victim = path.join(tmp, `${name}-victim`);
  fs.writeFileSync(victim, 'export PATH=/usr/bin\n', { mode: 0o644 });
  const link = path.join(tmp, `${name}.pcap`);
  fs.symlinkSync(victim, link);
  return { victim, link };
}

function assertUntouched(victim: string): void {
  assert.equal(fs.readFileSync(victim, 'utf8'), 'export PATH=/usr/bin\n');
  assert.equal(fs.statSync(victim).mode & 0o777, 0o644);
}

const LINK_REFUSED = /^tcpwatch: .*: is a symbolic link; tcpwatch does not write a capture through a link \(name the file itself, or -w - for standard output\)\n$/;

test('-r FILE -w LINK: refused with one line and exit status 2; the link\'s target is untouched', () => {
  const { victim, link } = plant('read');
  const r = spawnSync(process.execPath, [CLI, '-r', capture(), '-w', link], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, LINK_REFUSED);
  assert.equal(r.stdout, '');
  assertUntouched(victim);
  assert.equal(fs.lstatSync(link).isSymbolicLink(), true);

  // A dangling link would create its target: refused the same way, and nothing is created.
  const dangling = path.join(tmp, 'dangling.pcap');
  const wouldBe = path.join(tmp, 'created-through-link');
  fs.symlinkSync(wouldBe, dangling);
  const d = spawnSync(process.execPath, [CLI, '-r', capture(), '-w', dangling], { encoding: 'utf8' });
  assert.equal(d.status, 2);
  assert.match(d.stderr, LINK_REFUSED);
  assert.equal(fs.existsSync(wouldBe), false);

  // A plain path still works, owner-only.
  const plain = path.join(tmp, 'plain.pcap');
  const ok = spawnSync(process.execPath, [CLI, '-r', capture(), '-w', plain], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(fs.statSync(plain).mode & 0o777, 0o600);
  assert.ok(fs.statSync(plain).size > 24);
});

test('live -i lo -w LINK: refused at start, exit status 2, target untouched', { skip: !isRoot ? 'needs root' : !capBuilt() ? 'cap is not built' : false }, () => {
  const { victim, link } = plant('live');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, '-i', 'lo', '-w', link, '-c', '1'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, LINK_REFUSED);
  assert.ok(performance.now() - t0 < 10_000);
  assertUntouched(victim);
});

test('createPrivateFile creates or fails: never an existing file, never through a link, always 0600', () => {
  const old = process.umask(0);
  try {
    const p = path.join(tmp, 'private');
    const fd = createPrivateFile(p);
    assert.equal(fs.fstatSync(fd).mode & 0o777, 0o600, 'owner-only even with umask 0');
    fs.closeSync(fd);
    assert.throws(() => createPrivateFile(p), { code: 'EEXIST' });
    const { victim, link } = plant('private');
    assert.throws(() => createPrivateFile(link), (e: NodeJS.ErrnoException) => e.code === 'EEXIST' || e.code === 'ELOOP');
    assertUntouched(victim);
  } finally {
    process.umask(old);
  }
});

test('the spool, spill and ring files are opened with O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600', () => {
  const { O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const seen: { file: string; flags: number; mode: number }[] = [];
  // The module object itself (what `import * as fs` in tcpwatch's modules reads through).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeFs = require('node:fs') as { openSync: typeof fs.openSync };
  const realOpen = nodeFs.openSync;
  nodeFs.openSync = ((file: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode | null) => {
    seen.push({ file: String(file), flags: typeof flags === 'number' ? flags : -1, mode: typeof mode === 'number' ? mode : -1 });
    return realOpen(file, flags ?? 'r', mode);
  }) as typeof fs.openSync;
  const exclusive = (what: RegExp): void => {
    const calls = seen.filter((c) => what.test(c.file));
    assert.ok(calls.length > 0, `${what} was opened`);
    for (const c of calls) {
      assert.ok(c.flags >= 0 && (c.flags & (O_CREAT | O_EXCL | O_NOFOLLOW)) === (O_CREAT | O_EXCL | O_NOFOLLOW), `${c.file} flags ${c.flags}`);
      assert.equal(c.mode, 0o600);
    }
  };
  try {
    const spoolFd = createSpoolFile(tmp);
    assert.equal(fs.fstatSync(spoolFd).mode & 0o777, 0o600);
    assert.equal(fs.fstatSync(spoolFd).nlink, 0, 'unlinked at once');
    fs.closeSync(spoolFd);
    exclusive(/tcpwatch-spool-.*frames\.pcap$/);

    const spill = new FrameSpool({ memoryBudgetBytes: 256 * 1024, linkType: LINKTYPE.ETHERNET, dir: tmp, keepFile: true });
    const f = new CapturedFrame();
    const big = buildFrame({ flags: 0x018, payload: Buffer.alloc(1400, 0x41) });
    for (let i = 0; i < 600; i++) spill.append(f.wrap(big, LINKTYPE.ETHERNET, 1700000000 + i));
    assert.notEqual(spill.spillPath, null, 'the budget was exceeded and frames went to the spill file');
    assert.equal(fs.statSync(spill.spillPath!).mode & 0o777, 0o600);
    exclusive(/tcpwatch-spill-.*frames\.pcap$/);
    spill.close();

    const store = PacketStore.openFile(capture(), {} as MainOptions);
    store.close();
    exclusive(/tcpwatch-[^/]*\/rows$/);
  } finally {
    nodeFs.openSync = realOpen;
  }
});

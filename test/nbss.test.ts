// NBSS as tshark 4.0 shows it (src/protocols/nbss/): smbclient listing the shares of Samba's smbd on
// port 139 of a network namespace's loopback, recorded here. The session request (called and
// calling names) and the positive session response agree with tshark field by field; the SMB2
// the session messages carry is not dissected by tcpwatch yet, so those frames are not compared.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI } from './helpers/corpus';
import { have, isRoot } from './helpers/system';
import { startTcpdump, Tcpdump } from './helpers/tcpdump';
import { stopProcess } from './helpers/loopback';

const run = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
const FIELDS = ['frame.number', 'frame.protocols', '_ws.col.Protocol', '_ws.col.Info', 'nbss.type', 'nbss.flags', 'nbss.flags.e',
  'nbss.length', 'nbss.called_name', 'nbss.calling_name', 'nbss.continuation_data'];

const live = !isRoot ? 'needs root (network namespace, tcpdump)'
  : !['smbd', 'smbclient', 'tcpdump', 'tshark', 'ip'].every(have) ? 'needs smbd and smbclient (Debian samba, smbclient), tcpdump, tshark and ip' : false;

test('smbclient against smbd on port 139: the NBSS session request and response agree with tshark', { skip: live, timeout: 120_000 }, async (t) => {
  const ns = `tcpwatch-nbss-${process.pid}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-nbss-'));
  const pcap = path.join(dir, 'nbss.pcap');
  const state = path.join(dir, 'state');
  fs.mkdirSync(state);
  const conf = path.join(dir, 'smb.conf');
  fs.writeFileSync(conf, ['[global]', 'netbios name = TCPWATCHSRV', 'workgroup = TCPWATCHGRP', 'interfaces = lo', 'bind interfaces only = yes',
    'smb ports = 139', ...['lock directory', 'state directory', 'cache directory', 'pid directory', 'private dir', 'ncalrpc dir'].map((k) => `${k} = ${state}`),
    `log file = ${path.join(state, 'log.%m')}`, 'load printers = no', 'disable spoolss = yes', 'map to guest = Bad User',
    '[share]', `path = ${dir}`, 'guest ok = yes', ''].join('\n'));
  let smbd: ChildProcess | null = null;
  let tcpdump: Tcpdump | null = null;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    tcpdump = await startTcpdump(pcap, 'tcp port 139', [], ['ip', 'netns', 'exec', ns]);
    // In a process group of its own: smbd signals its whole group when it stops.
    smbd = spawn('ip', ['netns', 'exec', ns, 'smbd', '--foreground', '--no-process-group', '-s', conf, '-d', '0'], { stdio: 'ignore', detached: true });
    const list = (): string => spawnSync('ip', ['netns', 'exec', ns, 'smbclient', '-s', conf, '-p', '139', '-N', '-L', '//127.0.0.1'],
      { encoding: 'utf8', timeout: 15_000 }).stdout ?? '';
    // Ready once it lists the share; earlier attempts are refused connections, which carry no NBSS.
    const deadline = Date.now() + 15_000;
    while (!/share\s+Disk/.test(list())) {
      assert.ok(Date.now() < deadline, 'smbd did not start serving');
      await new Promise((r) => setTimeout(r, 200));
    }
    await stopProcess(smbd);
    smbd = null;
    assert.equal(await tcpdump.stop(200), 0);
    tcpdump = null;

    const args = ['-r', pcap, '-T', 'fields', ...FIELDS.flatMap((f) => ['-e', f])];
    const want = run('tshark', ['-n', ...args]).split('\n').filter(Boolean);
    const got = run(process.execPath, [CLI, ...args]).split('\n').filter(Boolean);
    assert.equal(got.length, want.length);
    // The frames whose topmost protocol is NBSS in tshark's reading: the session request and response.
    const compared = want.flatMap((row, i) => (/:nbss$/.test(row.split('\t')[1]) ? [[row, got[i]]] : []));
    t.diagnostic(`${compared.length} NBSS frames of ${want.length}`);
    assert.ok(compared.some(([row]) => /\tSession request, to 127\.0\.0\.1<20> from TCPWATCHSRV<00>\t/.test(row)), compared.join('\n'));
    assert.ok(compared.some(([row]) => row.includes('\tPositive session response\t')));
    assert.deepEqual(compared.filter(([a, b]) => a !== b), []);
  } finally {
    if (smbd !== null) await stopProcess(smbd);
    if (tcpdump !== null) await stopProcess(tcpdump.proc);
    // smbd's helpers (samba-dcerpcd and its workers) outlive it: every process left in the namespace is the test's.
    for (const pid of (spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean)) {
      try { process.kill(Number(pid), 'SIGKILL'); } catch { /* already gone */ }
    }
    spawnSync('ip', ['netns', 'del', ns]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// NetBIOS name service traffic between Debian's Samba programs, recorded on a link of the test's
// own: nmbd serves (and registers its names by broadcast) in one network namespace, nmblookup asks
// from another, a veth pair joins them (nmbd speaks only on interfaces with a broadcast address,
// which loopback has not). tcpdump records the client's side. Every process and both namespaces
// are gone when the recording returns or throws.

import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startTcpdump, Tcpdump } from './tcpdump';
import { stopProcess } from './loopback';

export const SERVER_NAME = 'TCPWATCHSRV';
export const WORKGROUP = 'TCPWATCHGRP';
const SERVER_ADDR = '10.137.0.1';
const CLIENT_ADDR = '10.137.0.2';
const BROADCAST = '10.137.0.255';

/** An smb.conf that keeps all of Samba's state under `dir` and speaks on `addr`'s network only. */
function writeSmbConf(dir: string, name: string, addr: string, extra: string[]): string {
  const state = path.join(dir, name);
  fs.mkdirSync(state, { recursive: true });
  const conf = path.join(dir, `${name}.conf`);
  fs.writeFileSync(conf, ['[global]', `netbios name = ${name}`, `workgroup = ${WORKGROUP}`, `interfaces = ${addr}/24`,
    'bind interfaces only = yes', ...['lock directory', 'state directory', 'cache directory', 'pid directory', 'private dir', 'ncalrpc dir']
      .map((k) => `${k} = ${state}`), `log file = ${path.join(state, 'log.%m')}`, 'load printers = no', 'disable spoolss = yes', ...extra, ''].join('\n'));
  return conf;
}

const ip = (...args: string[]): void => {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
};

/**
 * Records nmbd's name registrations and its answers to nmblookup: a unicast name query answered, a
 * group name, a name nobody has (negative response), and node status by name and by address
 * (NBSTAT). Returns the pcap's path in `dir`.
 */
export async function recordNameService(dir: string): Promise<string> {
  const tag = `${process.pid}`;
  const server = `tcpwatch-nbs-${tag}`;
  const client = `tcpwatch-nbc-${tag}`;
  const pcap = path.join(dir, 'nbns.pcap');
  let nmbd: ChildProcess | null = null;
  let tcpdump: Tcpdump | null = null;
  ip('netns', 'add', server);
  try {
    ip('netns', 'add', client);
    ip('link', 'add', `nbs${tag}`, 'type', 'veth', 'peer', 'name', `nbc${tag}`);
    ip('link', 'set', `nbs${tag}`, 'netns', server);
    ip('link', 'set', `nbc${tag}`, 'netns', client);
    ip('-n', server, 'addr', 'add', `${SERVER_ADDR}/24`, 'brd', '+', 'dev', `nbs${tag}`);
    ip('-n', client, 'addr', 'add', `${CLIENT_ADDR}/24`, 'brd', '+', 'dev', `nbc${tag}`);
    ip('-n', server, 'link', 'set', `nbs${tag}`, 'up');
    ip('-n', client, 'link', 'set', `nbc${tag}`, 'up');
    // nmbd, as a WINS server, registers its own names with itself at 127.0.0.1.
    ip('-n', server, 'link', 'set', 'lo', 'up');
    const serverConf = writeSmbConf(dir, SERVER_NAME, SERVER_ADDR, ['wins support = yes']);
    const clientConf = writeSmbConf(dir, 'TCPWATCHCLI', CLIENT_ADDR, []);
    // The last -i is the one tcpdump listens on.
    tcpdump = await startTcpdump(pcap, 'udp port 137', ['-i', `nbc${tag}`], ['ip', 'netns', 'exec', client]);
    nmbd = spawn('ip', ['netns', 'exec', server, 'nmbd', '--foreground', '--no-process-group', '-s', serverConf, '-d', '0'], { stdio: 'ignore' });
    const lookup = (...args: string[]): { status: number | null; stdout: string } =>
      spawnSync('ip', ['netns', 'exec', client, 'nmblookup', '-s', clientConf, ...args], { encoding: 'utf8', timeout: 10_000 });
    // Ready once its WINS database answers for its own name (it registers its names first, by broadcast).
    const deadline = Date.now() + 15_000;
    while (!lookup('-U', SERVER_ADDR, '--recursion', SERVER_NAME).stdout.includes(`${SERVER_ADDR} ${SERVER_NAME}<00>`)) {
      if (Date.now() > deadline) throw new Error('nmbd did not start answering name queries');
      await new Promise((r) => setTimeout(r, 200));
    }
    const asked: [string[], RegExp][] = [
      [['-U', SERVER_ADDR, SERVER_NAME], new RegExp(`${SERVER_ADDR} ${SERVER_NAME}<00>`)],
      [['-U', SERVER_ADDR, '--recursion', 'NOSUCHNAME'], /failed to find name NOSUCHNAME/],
      [['-U', SERVER_ADDR, `${WORKGROUP}#1e`], new RegExp(`${WORKGROUP}<1e>`)],
      [['-B', BROADCAST, '-S', SERVER_NAME], /<ACTIVE>/],
      [['-S', '-U', SERVER_ADDR, SERVER_NAME], new RegExp(`${WORKGROUP}\\s+<1e> - <GROUP>`)],
      [['-A', SERVER_ADDR], new RegExp(`${SERVER_NAME}\\s+<20>`)],
    ];
    for (const [args, want] of asked) {
      const r = lookup(...args);
      // A broadcast query may go unanswered while nmbd still defends its names: only unicast ones must succeed.
      if (!args.includes('-B') && !want.test(r.stdout)) throw new Error(`nmblookup ${args.join(' ')}: ${r.stdout}`);
    }
    await stopProcess(nmbd);
    nmbd = null;
    const dropped = await tcpdump.stop(200);
    tcpdump = null;
    if (dropped !== 0) throw new Error(`tcpdump dropped ${dropped} packets`);
    return pcap;
  } finally {
    if (nmbd !== null) await stopProcess(nmbd);
    if (tcpdump !== null) await stopProcess(tcpdump.proc);
    spawnSync('ip', ['netns', 'del', client]);
    spawnSync('ip', ['netns', 'del', server]);
  }
}

// Remote interfaces: `-i ssh://[user@]host[:port]/IFACE` captures on IFACE of another machine
// through the system's OpenSSH client, so the user's ~/.ssh/config, agent, jump hosts and
// known_hosts apply exactly as in their shell. On the far side a short POSIX shell script runs
// `tcpdump -U -w -` (packets written as they arrive, a pcap stream on standard output); this file
// reads that stream, checking every length in it, and hands each whole record on as a CapturedFrame,
// as a local capture does. Timestamps are the remote kernel's, and the remote tcpdump's closing
// counts give the kernel's drops on that host.
//
// The remote tcpdump must end when tcpwatch does, whatever way that happens: without a terminal,
// sshd gives it no SIGHUP, and on a quiet interface it would wait for a packet to fail its write
// before noticing. The script therefore watches its own standard input (the ssh channel): when it
// closes (tcpwatch stopped, or the connection went away), tcpdump gets SIGINT, prints its counts
// and exits. It also leaves the ssh session's own packets out of the capture (SSH_CONNECTION names
// them): without that, capturing on the interface the session runs over would capture the packets
// carrying the capture, without end.

import { spawn, ChildProcess } from 'node:child_process';
import { CapturedFrame } from './frame';
import { MAXIMUM_SNAPLEN, PCAP_GLOBAL_HEADER_LEN, PCAP_LINKTYPE_MASK, PCAP_RECORD_HEADER_LEN, pcapMagic } from './pcap-format';
import type { KernelStats } from './live';
import type { MainOptions } from '../hooks';
import { UsageError } from '../errors';

export const REMOTE_SCHEME = 'ssh://';
/** Largest record a pcap stream may hold: libpcap's largest snapshot length. */
export const MAX_REMOTE_RECORD = MAXIMUM_SNAPLEN;
/** ssh's own exit status for its failures (connection, authentication, host key): ssh(1). */
const SSH_FAILED = 255;
/** The script's status when neither tcpdump nor tcpwatch is on the remote PATH. */
const NO_PROGRAM = 127;
/** What the script says then, on stderr, so that it cannot be mistaken for a shell's own words. */
const NO_PROGRAM_MARK = 'tcpwatch-remote: no capture program';
/** How long the remote tcpdump may take to answer (ssh's connection and authentication included). */
export const REMOTE_START_TIMEOUT_MS = 30_000;
/** How often the remote tcpdump is asked for its counts (SIGUSR1), in seconds. */
const STATS_EVERY_S = 1;
/** SIGUSR1 (10 on Linux) in /proc/PID/status's SigCgt mask: bit 9. */
const SIGUSR1_BIT = 1 << 9;
/** tcpdump's packet buffer timeout (its pcap_set_timeout, 1000 ms): the most a packet waits in the ring. */
const RING_BLOCK_TIMEOUT_S = 1;
/** How long an ssh that tcpwatch can no longer signal may take to notice its closed pipes. */
const REMOTE_ABANDON_MS = 2_000;
/** How long a stop may take: the ring's last block, tcpdump's flush and counts; then ssh is killed. */
const REMOTE_STOP_TIMEOUT_MS = 6_000;
/**
 * Analysis is skipped (the frames still written) while it runs this far behind the traffic. The
 * remote tcpdump hands packets over in blocks, up to a second apart on a quiet link, so lag below
 * that is the capture's, not ours.
 */
export const MAX_ANALYSIS_LAG_MS = 2_000;
const STDERR_KEEP = 16_384;

/** Where a remote interface is. */
export interface RemoteTarget {
  /** The -i argument as given. */
  url: string;
  user?: string;
  host: string;
  port?: number;
  /** The interface on that host; '' in -D --remote ssh://host. */
  iface: string;
}

export function isRemoteInterface(name: string | undefined): boolean {
  return name !== undefined && name.toLowerCase().startsWith(REMOTE_SCHEME);
}

/** ssh://[user@]host[:port][/IFACE]; UsageError with what is wrong. */
export function parseRemoteTarget(url: string, needInterface: boolean): RemoteTarget {
  if (!isRemoteInterface(url)) throw new UsageError(`invalid remote interface "${url}": expected ssh://[user@]host[:port]/INTERFACE`);
  const rest = url.slice(REMOTE_SCHEME.length);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const iface = slash < 0 ? '' : rest.slice(slash + 1);
  const at = authority.lastIndexOf('@');
  const user = at < 0 ? undefined : authority.slice(0, at);
  const hostPort = at < 0 ? authority : authority.slice(at + 1);
  let host: string;
  let portText: string | undefined;
  const m = /^\[([0-9A-Fa-f:.%a-zA-Z]+)\](?::(.*))?$/.exec(hostPort);
  if (m !== null) {
    host = m[1];
    portText = m[2];
  } else {
    const colon = hostPort.indexOf(':');
    host = colon < 0 ? hostPort : hostPort.slice(0, colon);
    portText = colon < 0 ? undefined : hostPort.slice(colon + 1);
  }
  // A host or user that begins with "-" would reach ssh as an option (ssh -oProxyCommand=…).
  if (host === '' || /^-|[\s/@]/.test(host)) throw new UsageError(`invalid remote interface "${url}": no host name after ssh://`);
  if (user !== undefined && (user === '' || /^-|[\s:/]/.test(user))) throw new UsageError(`invalid remote interface "${url}": bad user name before "@"`);
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new UsageError(`invalid remote interface "${url}": the port must be a number from 1 to 65535`);
    }
    port = Number(portText);
  }
  if (needInterface && iface === '') {
    throw new UsageError(`remote interface "${url}" names no interface: add /INTERFACE (tcpwatch -D --remote ssh://${authority} lists them)`);
  }
  // Interface names are short words (IFNAMSIZ is 16 on Linux); anything else is a mistake or an injection.
  if (iface !== '' && !/^[A-Za-z0-9_.:@+-]{1,64}$/.test(iface)) throw new UsageError(`invalid remote interface "${url}": "${iface}" is not an interface name`);
  return { url, user, host, port, iface };
}

/**
 * --ssh-command as rsync's -e and git's GIT_SSH_COMMAND take it: words split at blanks, with single
 * and double quotes and backslashes as a shell reads them (no variables, no globbing).
 */
export function splitCommand(cmd: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < cmd.length && '"\\$`'.includes(cmd[i + 1])) word += cmd[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < cmd.length) {
      word += cmd[++i];
      inWord = true;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== null) throw new UsageError(`--ssh-command: unterminated ${quote} quote in "${cmd}"`);
  if (inWord) words.push(word);
  if (words.length === 0) throw new UsageError('--ssh-command is empty: give the ssh client and its options, such as "ssh -F ./ssh_config"');
  return words;
}

/** A word as POSIX sh reads it back literally. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface RemoteCaptureOptions {
  target: RemoteTarget;
  /** Capture filter (BPF), compiled by the remote tcpdump. */
  filter: string;
  snaplen?: number;
  /** -B in MiB: the remote ring. */
  bufferSizeMiB?: number;
  /** --remote-sudo: run the capture program under `sudo -n`. */
  sudo: boolean;
  /** False for -p: tcpdump there leaves the interface out of promiscuous mode (its own -p). */
  promiscuous?: boolean;
  /** --ssh-command; undefined for the system's `ssh`. */
  sshCommand?: string;
}

/** The remote capture a command line asks for (-i ssh://…, -s, -B, --remote-sudo, --ssh-command). */
export function remoteCaptureOptions(opts: MainOptions, filter: string, name = opts.interface ?? ''): RemoteCaptureOptions {
  return {
    target: parseRemoteTarget(name, true),
    filter,
    snaplen: opts.snaplen,
    bufferSizeMiB: opts.bufferSize,
    sudo: opts.remoteSudo === true,
    promiscuous: opts.promiscuous,
    sshCommand: opts.sshCommand,
  };
}

// The default client: never ask for a password or a host key on a terminal the UI owns (every such
// question becomes a one-line failure instead), and notice a dead connection within 45 s.
const DEFAULT_SSH = ['ssh', '-o', 'BatchMode=yes', '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=3'];

/** The ssh client's argv for running `remoteCommand` on the target. */
export function sshArgv(target: RemoteTarget, sshCommand: string | undefined, remoteCommand: string): string[] {
  const argv = sshCommand === undefined ? [...DEFAULT_SSH] : splitCommand(sshCommand);
  if (target.port !== undefined) argv.push('-p', String(target.port));
  if (target.user !== undefined) argv.push('-l', target.user);
  // No terminal: the pcap stream must pass through unchanged, and a terminal would also hand the
  // remote tcpdump a SIGHUP that this script gives it more carefully.
  argv.push('-T', '--', target.host, remoteCommand);
  return argv;
}

// Where tcpdump lives on systems whose users' PATH lacks the sbin directories.
const SBIN_PATH = 'PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin"';

/** The signal a running headless tcpwatch prints its counts on (tcpdump's SIGUSR1 starts Node's inspector). */
export const COUNTS_SIGNAL: NodeJS.Signals = 'SIGUSR2';
/** SIGUSR2 (12 on Linux) in /proc/PID/status's SigCgt mask: bit 11. */
const SIGUSR2_BIT = 1 << 11;

/**
 * The remote script (one line, POSIX sh) that runs the capture program and ends it when the channel
 * closes: tcpdump (its counts asked with SIGUSR1), else tcpwatch itself when the host has it (asked
 * with SIGUSR2). tcpdump comes first because its frames carry the kernel's timestamps, where
 * tcpwatch's own capture stamps a frame when it reads it (native-notes/cap.md, "Timestamps"): off by
 * up to a batch, which would blur -z pairs' one-way delays.
 */
export function remoteCaptureScript(o: RemoteCaptureOptions): string {
  const sudo = o.sudo ? 'sudo -n ' : '';
  const dump = ['-i', shellQuote(o.target.iface), '-U', '-w', '-', '--time-stamp-precision=nano'];
  // tcpwatch's -w - is a nanosecond pcap stream, as tcpdump's above.
  const own = ['-i', shellQuote(o.target.iface), '-q', '-w', '-', '-F', 'pcap'];
  for (const args of [dump, own]) {
    if (o.snaplen !== undefined) args.push('-s', String(o.snaplen));
    if (o.promiscuous === false) args.push('-p');
  }
  // tcpdump's -B is in KiB, tcpwatch's in MiB.
  if (o.bufferSizeMiB !== undefined) {
    dump.push('-B', String(o.bufferSizeMiB * 1024));
    own.push('-B', String(o.bufferSizeMiB));
  }
  return [
    SBIN_PATH,
    `if command -v tcpdump >/dev/null 2>&1; then c=tcpdump; b=${SIGUSR1_BIT}; g=USR1; elif command -v tcpwatch >/dev/null 2>&1; then c=tcpwatch; b=${SIGUSR2_BIT}; g=USR2; else echo ${shellQuote(NO_PROGRAM_MARK)} >&2; exit ${NO_PROGRAM}; fi`,
    o.sudo ? `command -v sudo >/dev/null 2>&1 || { echo 'tcpwatch-remote: no sudo' >&2; exit ${NO_PROGRAM}; }` : ':',
    `f=${shellQuote(o.filter)}`,
    // SSH_CONNECTION is "client address, client port, server address, server port" (sshd(8), ENVIRONMENT).
    'set -- $SSH_CONNECTION',
    'if [ $# -eq 4 ]; then own="not (tcp and host $1 and port $2 and host $3 and port $4)"; if [ -n "$f" ]; then f="($f) and $own"; else f="$own"; fi; fi',
    'exec 3<&0',
    `if [ $c = tcpwatch ]; then ${sudo}tcpwatch ${own.join(' ')} -- "$f" </dev/null & p=$!; else ${sudo}tcpdump ${dump.join(' ')} -- "$f" </dev/null & p=$!; fi`,
    // tcpdump reads the kernel's ring in blocks handed over at most a second after their first
    // packet, and on SIGINT it leaves what is still in the ring unread: one second first, so that
    // every packet captured before the stop reaches the stream.
    `( cat >/dev/null 2>&1; sleep ${RING_BLOCK_TIMEOUT_S}; kill -INT $p 2>/dev/null ) <&3 & w=$!`,
    'exec 3<&-',
    // The program prints its counts on its signal: every second, for the drops in tcpwatch's status
    // bar. The signal ends a process that does not handle it, so only once the program's signal mask
    // (Linux's /proc) says it does; never through sudo, which would pass it on to one not yet ready.
    o.sudo ? 'i=' : `( while sleep ${STATS_EVERY_S}; do m=$(sed -n 's/^SigCgt:[[:space:]]*//p' /proc/$p/status 2>/dev/null); [ -n "$m" ] || exit 0; [ $(( 0x$m & $b )) -eq 0 ] || kill -$g $p 2>/dev/null || exit 0; done ) </dev/null >/dev/null 2>&1 & i=$!`,
    'wait $p; s=$?',
    'kill $w $i 2>/dev/null',
    'exit $s',
  ].join('; ');
}

/** The remote script for -D --remote: tcpdump's list of interfaces. */
export function remoteListScript(sudo: boolean): string {
  return [
    SBIN_PATH,
    `command -v tcpdump >/dev/null 2>&1 || { echo ${shellQuote(NO_PROGRAM_MARK)} >&2; exit ${NO_PROGRAM}; }`,
    `exec ${sudo ? 'sudo -n ' : ''}tcpdump -D </dev/null`,
  ].join('; ');
}

/** The command ssh hands the remote login shell: the script under /bin/sh, whatever that shell is. */
export function remoteShellCommand(script: string): string {
  return `/bin/sh -c ${shellQuote(script)}`;
}

function targetName(t: RemoteTarget): string {
  return `${t.user !== undefined ? t.user + '@' : ''}${t.host}`;
}

/** Meaningful lines of what the remote side and ssh said (ssh's banner and warnings art left out). */
function stderrLines(stderr: string): string[] {
  return stderr.split('\n').map((l) => l.replace(/^tcpdump: /, '').trim()).filter((l) => l !== '' && !/^@+$/.test(l) && !/^\(.*\)$/.test(l) && !/^listening on /.test(l) && !/^\d+ packets? (captured|received by filter|dropped by (kernel|interface))$/.test(l));
}

/**
 * One line for the user from what ssh and the remote side wrote on stderr and how ssh ended, or
 * null when nothing went wrong. `packets` is how many whole packets had arrived: after the first,
 * an ssh failure is a connection lost mid-capture.
 */
export function explainRemoteFailure(target: RemoteTarget, stderr: string, status: number | null, signal: string | null, packets: number, started: boolean): string | null {
  const who = targetName(target);
  const on = `${target.iface} on ${who}`;
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/.test(stderr)) {
    if (/HAS CHANGED/.test(stderr)) {
      return `${who}: its host key has changed since it was recorded in known_hosts (a reinstalled host, or someone in between): check the new key with the host's owner, then ssh-keygen -R ${target.host}${target.port !== undefined ? ` (as [${target.host}]:${target.port})` : ''}`;
    }
    return `${who}: ssh could not verify the host key (not in known_hosts, and tcpwatch never answers ssh's question): connect once with ssh ${target.host} to record it`;
  }
  if (/Permission denied \(/.test(stderr) || /Too many authentication failures/.test(stderr)) {
    return `${who}: the server refused authentication (${lastMatch(stderr, /Permission denied \([^)]*\)|Too many authentication failures/)}): load your key into ssh-agent or name it in ~/.ssh/config (IdentityFile); tcpwatch does not type passwords`;
  }
  if (stderr.includes(NO_PROGRAM_MARK)) {
    return `${who} has no tcpdump on its PATH (nor in /usr/sbin or /sbin), nor tcpwatch: install one there (apt-get install tcpdump)`;
  }
  if (stderr.includes('tcpwatch-remote: no sudo')) {
    return `${who} has no sudo, which --remote-sudo needs: drop --remote-sudo and log in as a user who may capture, or install sudo there`;
  }
  if (/sudo: (a password is required|a terminal is required)/.test(stderr)) {
    return `${who}: sudo -n needs a password there: allow tcpdump without one (a NOPASSWD line in sudoers), or log in as a user who may capture`;
  }
  if (/sudo: .*(not in the sudoers|not allowed to execute)/.test(stderr)) {
    return `${who}: sudo refuses tcpdump to this user (${lastMatch(stderr, /sudo: [^\n]*/)}): ask for it in sudoers, or log in as a user who may capture`;
  }
  if (/You don't have permission|Operation not permitted|Permission denied/.test(stderr) && /tcpdump/.test(stderr)) {
    return `no permission to capture on ${on}: add --remote-sudo (sudo -n tcpdump there), or give that user the right (setcap cap_net_raw,cap_net_admin=eip on tcpdump, or the group Debian gives it)`;
  }
  if (/No such device exists|No such device|doesn't exist|no suitable device/.test(stderr)) {
    return `${who} has no interface named "${target.iface}": tcpwatch -D --remote ssh://${target.user !== undefined ? target.user + '@' : ''}${target.host}${target.port !== undefined ? ':' + target.port : ''} lists them`;
  }
  if (/is not up|That device is not up/.test(stderr)) {
    return `interface ${target.iface} on ${who} is down: bring it up there (ip link set ${target.iface} up)`;
  }
  if (/syntax error|unknown (port|host|proto)|can't parse filter|illegal/.test(stderr) && !started) {
    return `capture filter rejected by tcpdump on ${who}: ${lastMatch(stderr, /[^\n]*(syntax error|unknown (port|host|proto)|can't parse filter|illegal)[^\n]*/).replace(/^tcpdump: /, '')}`;
  }
  if (status === SSH_FAILED || (signal !== null && signal !== 'SIGINT' && signal !== 'SIGTERM')) {
    const said = stderrLines(stderr);
    const why = said.length > 0 ? said[said.length - 1] : signal !== null ? `ssh ended by ${signal}` : 'ssh gave no reason';
    if (packets > 0 || started) return `the connection to ${who} dropped mid-capture after ${packets} packet${packets === 1 ? '' : 's'} (${why})`;
    if (/Could not resolve hostname|Name or service not known/.test(stderr)) return `${who}: no such host (${why})`;
    if (/Connection refused/.test(stderr)) return `${who}: connection refused (${why}): is sshd running there, on that port?`;
    return `cannot reach ${who} over ssh: ${why}`;
  }
  if (status !== 0 && status !== null) {
    const said = stderrLines(stderr);
    const why = said.length > 0 ? said[said.length - 1] : `exit status ${status}`;
    return started ? `the capture on ${on} ended by itself after ${packets} packet${packets === 1 ? '' : 's'} (${why})` : `cannot capture on ${on}: ${why}`;
  }
  return null;
}

function lastMatch(s: string, re: RegExp): string {
  const g = new RegExp(re.source, 'g');
  let last = '';
  for (const m of s.matchAll(g)) last = m[0];
  return last.trim();
}

/** The pcap stream was not what tcpdump writes: a length out of bounds, a wrong magic number. */
export class RemoteStreamError extends Error {}

/**
 * Reads a pcap stream as it arrives, chunk by chunk, and hands on each whole record. Every length
 * is checked before it is used; a record is handed on only once all its bytes are here, so a
 * stream cut anywhere leaves nothing half-delivered.
 */
export class PcapStreamParser {
  linkType = -1;
  snaplen = 0;
  nanosecond = false;
  private bigEndian = false;
  private buf = Buffer.allocUnsafe(1 << 20);
  private start = 0;
  private end = 0;
  private readonly frame = new CapturedFrame();

  get headerSeen(): boolean {
    return this.linkType >= 0;
  }

  /** Bytes received after the last whole record (a record cut by the end of the stream). */
  get pendingBytes(): number {
    return this.end - this.start;
  }

  /**
   * Adds `chunk` and calls onFrame for each whole record (null: only the file header is read, the
   * records wait for a later call); throws RemoteStreamError on a damaged stream.
   */
  push(chunk: Buffer, onFrame: ((f: CapturedFrame) => void) | null): void {
    if (chunk.length > 0) this.append(chunk);
    const b = this.buf;
    if (this.linkType < 0) {
      if (this.end - this.start < PCAP_GLOBAL_HEADER_LEN) return;
      const kind = pcapMagic(b.readUInt32BE(this.start));
      // tcpdump and dumpcap never write the modified format (longer record headers): refused as no pcap.
      if (kind === null || kind.modified) throw new RemoteStreamError(`the remote side did not send a pcap stream (it began with 0x${b.readUInt32LE(this.start).toString(16).padStart(8, '0')})`);
      this.bigEndian = kind.bigEndian;
      this.nanosecond = kind.nanosecond;
      this.snaplen = this.u32(this.start + 16);
      this.linkType = this.u32(this.start + 20) & PCAP_LINKTYPE_MASK;
      this.frame.linkType = this.linkType;
      this.start += PCAP_GLOBAL_HEADER_LEN;
    }
    if (onFrame === null) return;
    const f = this.frame;
    const fracLimit = this.nanosecond ? 1e9 : 1e6;
    const scale = this.nanosecond ? 1 : 1000;
    while (this.end - this.start >= PCAP_RECORD_HEADER_LEN) {
      const p = this.start;
      const capLen = this.u32(p + 8);
      if (capLen > MAX_REMOTE_RECORD) throw new RemoteStreamError(`the remote pcap stream is damaged: a record of ${capLen} bytes (at most ${MAX_REMOTE_RECORD})`);
      if (this.end - p < PCAP_RECORD_HEADER_LEN + capLen) break;
      const frac = this.u32(p + 4);
      if (frac >= fracLimit) throw new RemoteStreamError(`the remote pcap stream is damaged: a timestamp fraction of ${frac}`);
      const origLen = this.u32(p + 12);
      f.tsSec = this.u32(p);
      f.tsNsec = frac * scale;
      f.capLen = capLen;
      f.origLen = origLen < capLen ? capLen : origLen;
      f.buf = b;
      f.off = p + PCAP_RECORD_HEADER_LEN;
      this.start = p + PCAP_RECORD_HEADER_LEN + capLen;
      onFrame(f);
    }
  }

  private u32(o: number): number {
    return this.bigEndian ? this.buf.readUInt32BE(o) : this.buf.readUInt32LE(o);
  }

  private append(chunk: Buffer): void {
    if (this.end + chunk.length > this.buf.length) {
      // Move what is left to the front; grow only for a record larger than the buffer.
      const left = this.end - this.start;
      if (left + chunk.length > this.buf.length) {
        const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, left + chunk.length));
        this.buf.copy(bigger, 0, this.start, this.end);
        this.buf = bigger;
      } else {
        this.buf.copy(this.buf, 0, this.start, this.end);
      }
      this.start = 0;
      this.end = left;
    }
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }
}

/** How long ssh's stderr may stay open after ssh has exited and its stdout has closed. */
const STDERR_GRACE_MS = 250;

/**
 * Calls `done` once ssh has exited and its standard output has closed: the stream is all there.
 * Not Node's 'close', which also waits for stderr: a ProxyCommand's helper (a background `cat`,
 * an `nc`) inherits ssh's stderr and can outlive ssh, holding it open for ever. stderr gets a
 * moment for ssh's last words, then is let go.
 */
function whenEnded(child: ChildProcess, done: (code: number | null, signal: NodeJS.Signals | null) => void): () => void {
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let outClosed = false;
  let errClosed = false;
  let called = false;
  let grace: NodeJS.Timeout | null = null;
  const finish = (): void => {
    if (called || exit === null) return;
    called = true;
    if (grace !== null) clearTimeout(grace);
    child.stderr?.destroy();
    done(exit.code, exit.signal);
  };
  const giveUp = (): void => {
    exit ??= { code: null, signal: 'SIGKILL' };
    finish();
  };
  const check = (): void => {
    if (exit === null || !outClosed) return;
    if (errClosed) finish();
    else grace ??= setTimeout(finish, STDERR_GRACE_MS);
  };
  child.once('exit', (code, signal) => {
    exit = { code, signal };
    check();
  });
  child.stdout!.once('close', () => {
    outClosed = true;
    check();
  });
  child.stderr!.once('close', () => {
    errClosed = true;
    check();
  });
  return giveUp;
}

export type RemoteFrameHandler = (frame: CapturedFrame) => void;

/**
 * A capture on a remote interface, through ssh. Opened with `RemoteCapture.open`, which resolves
 * once the remote tcpdump listens (or rejects with a UsageError: the one line of what went wrong).
 * Frames go first to `captured` (the -w file), then to `analyze` unless analysis runs more than
 * MAX_ANALYSIS_LAG_MS behind the traffic. close() asks the remote tcpdump to stop: the frames it
 * still flushes are delivered, and `closed` resolves once ssh has exited.
 */
export class RemoteCapture {
  framesReceived = 0;
  framesSkipped = 0;
  fallBehindEpisodes = 0;
  readonly hasKernelStats = true;
  /** Why the capture failed or ended by itself, or null; set once ssh has exited. */
  failure: string | null = null;
  readonly closed: Promise<void>;
  private readonly parser = new PcapStreamParser();
  private stderr = '';
  private resolveClosed: () => void = () => {};
  private stderrPartial = '';
  private counts: KernelStats | null = null;
  private countsReceived = 0;
  private stopping = false;
  private exited = false;
  private onBatchEnd: (() => void) | null = null;
  private onEnd: (() => void) | null = null;
  private skipping = false;
  // Analysis lag: how far behind the frames' own clock the handler runs, above the least seen.
  private lagBase = Infinity;
  private stopTimer: NodeJS.Timeout | null = null;
  private abandonTimer: NodeJS.Timeout | null = null;
  /** The stream itself was damaged: what follows the last whole record is not a packet cut short. */
  private damaged = false;
  private giveUp: () => void = () => {};
  private begun = false;

  private constructor(
    readonly options: RemoteCaptureOptions,
    private readonly child: ChildProcess,
    private readonly captured: RemoteFrameHandler,
    private readonly analyze: RemoteFrameHandler | null,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  get device(): string {
    return this.options.target.url;
  }

  get linkType(): number {
    return this.parser.linkType;
  }

  get snaplen(): number {
    return this.parser.snaplen;
  }

  get isOpen(): boolean {
    return !this.stopping && !this.exited;
  }

  static open(o: RemoteCaptureOptions, captured: RemoteFrameHandler, analyze: RemoteFrameHandler | null = null): Promise<RemoteCapture> {
    const argv = sshArgv(o.target, o.sshCommand, remoteShellCommand(remoteCaptureScript(o)));
    // Its own process group: Ctrl-C on the terminal goes to tcpwatch alone, which then stops the
    // remote tcpdump so that it flushes what it holds; an ssh killed by the same keystroke would
    // lose that and end as a dropped connection. If tcpwatch dies, ssh's input closes: the same stop.
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const rc = new RemoteCapture(o, child, captured, analyze);
    return rc.start();
  }

  private start(): Promise<RemoteCapture> {
    const child = this.child;
    const t = this.options.target;
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (err: UsageError | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err === null) resolve(this);
        else {
          this.stopping = true;
          child.kill('SIGKILL');
          reject(err);
        }
      };
      const timer = setTimeout(() => settle(new UsageError(`cannot capture on ${t.iface} on ${targetName(t)}: no answer within ${REMOTE_START_TIMEOUT_MS / 1000} s (${stderrLines(this.stderr).pop() ?? 'ssh said nothing'})`)), REMOTE_START_TIMEOUT_MS);
      // Ready once tcpdump says it listens and its stream's header is here: traffic sent after
      // tcpwatch's own "listening" line is then captured.
      const ready = (): void => {
        if (this.parser.headerSeen && /listening on /.test(this.stderr)) settle(null);
      };
      child.once('error', (e) => settle(new UsageError(`cannot start the ssh client "${this.sshName()}": ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found (install openssh-client, or name it with --ssh-command)' : e.message}`)));
      child.stdin!.on('error', () => {});
      // A signal that cannot be delivered (ssh runs as root, tcpwatch no longer) is an 'error' too.
      child.on('error', () => {});
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        this.takeStderr(d);
        if (!settled) ready();
      });
      child.stdout!.on('data', (chunk: Buffer) => {
        if (this.exited) return;
        try {
          this.parser.push(chunk, this.begun ? this.onFrame : null);
        } catch (e) {
          if (!(e instanceof RemoteStreamError)) throw e;
          this.failure ??= `${t.url}: ${e.message}`;
          this.damaged = true;
          this.stopNow();
          if (!settled) settle(new UsageError(this.failure));
          return;
        }
        if (!settled) ready();
        this.skipping = false;
        if (this.onBatchEnd !== null) this.onBatchEnd();
      });
      this.giveUp = whenEnded(child, (code, signal) => {
        this.exited = true;
        this.resolveClosed();
        if (this.stopTimer !== null) clearTimeout(this.stopTimer);
        if (this.abandonTimer !== null) clearTimeout(this.abandonTimer);
        // A stop asked by us (SIGINT to the remote tcpdump, ending with its status 0, or our kill
        // after the timeout) is no failure; anything else says what happened.
        const asked = this.stopping;
        const why = explainRemoteFailure(t, this.stderr, code, asked && signal === 'SIGKILL' ? null : signal, this.framesReceived, settled);
        if (!settled) {
          settle(new UsageError(why ?? `cannot capture on ${t.iface} on ${targetName(t)}: ssh ended before the capture started (exit status ${code ?? signal})`));
          return;
        }
        if (why !== null && !(asked && code === null)) this.failure ??= why;
        if (this.failure === null && !asked) this.failure = `the capture on ${t.iface} on ${targetName(t)} ended by itself after ${this.framesReceived} packet${this.framesReceived === 1 ? '' : 's'}`;
        if (this.parser.pendingBytes > 0 && this.failure !== null && !this.damaged) this.failure += `; the last ${this.parser.pendingBytes} bytes were part of a packet and were left out`;
        if (this.onEnd !== null) this.onEnd();
      });
      ready();
    });
  }

  private sshName(): string {
    try {
      return this.options.sshCommand === undefined ? 'ssh' : splitCommand(this.options.sshCommand)[0];
    } catch {
      return 'ssh';
    }
  }

  private readonly onFrame = (f: CapturedFrame): void => {
    this.framesReceived++;
    this.captured(f);
    if (this.analyze === null) return;
    // The lag of this frame: our clock minus the remote one, relative to the least lag seen (the
    // two clocks' offset and the path's delay); what is above that is time spent behind.
    const lag = Date.now() - (f.tsSec * 1000 + f.tsNsec / 1e6);
    if (lag < this.lagBase) this.lagBase = lag;
    if (!this.skipping && lag - this.lagBase > MAX_ANALYSIS_LAG_MS) {
      this.skipping = true;
      this.fallBehindEpisodes++;
    }
    if (this.skipping) {
      this.framesSkipped++;
      return;
    }
    this.analyze(f);
  };

  /**
   * Starts handing frames on. Until then they wait in the stream's buffer, so that a caller can
   * give up root and create its -w file between open and the first frame without missing any.
   */
  begin(): void {
    if (this.begun) return;
    this.begun = true;
    try {
      this.parser.push(Buffer.alloc(0), this.onFrame);
    } catch (e) {
      if (!(e instanceof RemoteStreamError)) throw e;
      this.failure ??= `${this.options.target.url}: ${e.message}`;
      this.damaged = true;
      this.stopNow();
    }
  }

  setBatchEndHandler(fn: (() => void) | null): void {
    this.onBatchEnd = fn;
  }

  /** Called once when ssh has exited, whether asked to stop or not (see `failure`). */
  setEndHandler(fn: (() => void) | null): void {
    this.onEnd = fn;
  }

  /** The remote kernel's counters, from tcpdump's closing lines: known once the capture has ended. */
  kernelStats(): KernelStats | null {
    return this.counts;
  }

  /**
   * What ssh and the remote side write on stderr: tcpdump's counts (every second while it runs,
   * and when it ends) update `counts`; every other line is kept for explaining a failure, the
   * first and the last STDERR_KEEP / 2 characters of them, so that a connection that drops after
   * hours still has its last words.
   */
  private takeStderr(d: string): void {
    const text = this.stderrPartial + d;
    const lines = text.split('\n');
    this.stderrPartial = lines.pop() ?? '';
    if (this.stderrPartial.length > STDERR_KEEP) this.stderrPartial = this.stderrPartial.slice(-STDERR_KEEP);
    for (const line of lines) {
      const recv = /(\d+) packets? received by filter/.exec(line);
      const drop = /(\d+) packets? dropped by kernel/.exec(line);
      if (recv !== null) this.countsReceived = Number(recv[1]);
      if (drop !== null) this.counts = { received: this.countsReceived, dropped: Number(drop[1]), ifdropped: 0 };
      // A remote tcpwatch's one line (run-facts.ts captureSummary): "N packets captured, …; D dropped by the kernel[, I by the interface]".
      const own = /^(\d+) packets? captured, .*; (\d+) dropped by the kernel(?:, (\d+) by the interface)?/.exec(line);
      if (own !== null) {
        this.counts = { received: Number(own[1]) + Number(own[2]), dropped: Number(own[2]), ifdropped: Number(own[3] ?? 0) };
        continue;
      }
      if (recv !== null || drop !== null || /^\d+ packets? captured(,|$)/.test(line)) continue;
      this.stderr += line + '\n';
      if (this.stderr.length > STDERR_KEEP) this.stderr = this.stderr.slice(0, STDERR_KEEP / 2) + this.stderr.slice(-STDERR_KEEP / 2);
    }
  }

  /**
   * Asks the remote tcpdump to stop (closing the channel's input: the script sends it SIGINT); it
   * flushes what it holds and prints its counts. ssh is killed if that takes too long.
   */
  close(): void {
    if (this.stopping || this.exited) return;
    this.stopping = true;
    this.child.stdin!.end();
    this.stopTimer = setTimeout(() => this.stopNow(), REMOTE_STOP_TIMEOUT_MS);
  }

  /**
   * Ends the capture now. Once tcpwatch has given up root, it may not signal an ssh started as
   * root: its input and output are closed as well (ssh then ends at its next write), and if it
   * still has not gone after REMOTE_ABANDON_MS the capture ends without it.
   */
  private stopNow(): void {
    this.stopping = true;
    if (this.exited) return;
    this.child.kill('SIGKILL');
    this.child.stdin?.destroy();
    this.child.stdout?.destroy();
    this.abandonTimer ??= setTimeout(() => this.giveUp(), REMOTE_ABANDON_MS);
  }
}

/** -D --remote ssh://host: the remote tcpdump's interface list, each line as an -i argument. */
export function listRemoteInterfaces(target: RemoteTarget, sudo: boolean, sshCommand: string | undefined): Promise<string[]> {
  const argv = sshArgv(target, sshCommand, remoteShellCommand(remoteListScript(sudo)));
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), REMOTE_START_TIMEOUT_MS);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { if (out.length < 1 << 20) out += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { if (err.length < STDERR_KEEP) err += d; });
    child.once('error', (e) => { clearTimeout(timer); reject(new UsageError(`cannot start the ssh client: ${e.message}`)); });
    whenEnded(child, (code, signal) => {
      clearTimeout(timer);
      const why = explainRemoteFailure({ ...target, iface: '' }, err, code, signal, 0, false);
      if (why !== null || code !== 0) {
        reject(new UsageError(why ?? `cannot list the interfaces of ${targetName(target)}: exit status ${code ?? signal}`));
        return;
      }
      const base = `ssh://${target.user !== undefined ? target.user + '@' : ''}${target.host.includes(':') ? `[${target.host}]` : target.host}${target.port !== undefined ? ':' + target.port : ''}/`;
      const lines: string[] = [];
      // tcpdump -D: "N.NAME [FLAGS]" or "N.NAME (DESCRIPTION) [FLAGS]".
      for (const line of out.split('\n')) {
        const m = /^(\d+)\.(\S+)(.*)$/.exec(line.trim());
        if (m !== null) lines.push(`${m[1]}. ${base}${m[2]}${m[3]}`);
      }
      resolve(lines);
    });
  });
}

// Least privilege for live capture. Opening a capture device needs root (CAP_NET_RAW); reading
// packets from the open handle does not. So a root tcpwatch opens the device and then gives up
// root before the first packet is parsed, as Debian's tcpdump does by default: a bug in a
// dissector fed by hostile traffic is then a bug of an unprivileged account, not of root.
//
// Whom it becomes (liveCaptureAccount):
// - `-Z USER`: that user (`-Z root` keeps root, said in one line on stderr);
// - otherwise, under sudo, the user who ran sudo (SUDO_USER, SUDO_UID, SUDO_GID), so the -w file
//   and the UI's temporary files are theirs, as if they had captured without sudo;
// - otherwise tcpdump's own account (`tcpdump`) where the tcpdump package made one, else `nobody`.
//   A capture-only account owns no files and runs no daemons, so a compromised tcpwatch can reach
//   nothing a compromised tcpdump could not; `nobody` is shared by NFS's squashed root and by
//   daemons that run as it, which a process running as `nobody` may signal or trace.
//
// The drop (dropPrivileges) sets the supplementary groups, the group and then the user (the
// reverse would leave root's groups behind). setuid from uid 0 to another uid clears the permitted,
// effective and ambient capability sets (capabilities(7), "Effect of user ID changes on
// capabilities") unless SECBIT_KEEP_CAPS is set, which tcpwatch never sets; glibc applies it to
// every thread of the process. Before that, while still root (CAP_SETPCAP), the bounding set is
// emptied and no_new_privs set on every thread (native/prctl; Node binds no prctl), so that a later
// execve of a setuid-root or file-capability program cannot give back what setuid took. Without
// that module (scripts/setup.sh could not build it) the capture still runs and says so once. The
// result is checked in /proc/self/task/*/status rather than trusted.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { UsageError } from '../errors';

export interface Account { name: string; uid: number; gid: number }

/** The -Z value that keeps root. */
export const KEEP_ROOT_USER = 'root';
/** Tried in this order when nobody ran sudo and no -Z was given. */
const UNPRIVILEGED_ACCOUNTS = ['tcpdump', 'nobody'];
/** Capability sets of /proc/PID/status that must be empty once root is given up. */
const CAPABILITY_SETS = ['CapInh', 'CapPrm', 'CapEff', 'CapAmb'];

/** Built by scripts/setup.sh (npm run build in native/prctl), beside the sources it is built from. */
const PRCTL_MODULE = path.join(__dirname, '..', '..', '..', 'native', 'prctl', 'build', 'Release', 'prctl.node');

interface PrctlModule {
  /** Empties the bounding set and sets no_new_privs on every thread; the number of threads. Throws what failed. */
  limitExecPrivileges(): number;
}

export const KEEP_ROOT_WARNING = 'tcpwatch: -Z root: capturing and dissecting as root with every capability; a dissector bug would be a root bug';

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function getent(name: string): Account | null {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) return null;
  const r = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
  const parts = (r.status === 0 ? r.stdout.split('\n')[0] : '').split(':');
  if (parts.length < 4 || !/^\d+$/.test(parts[2]) || !/^\d+$/.test(parts[3])) return null;
  return { name: parts[0], uid: Number(parts[2]), gid: Number(parts[3]) };
}

export function lookupUser(name: string): Account {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new UsageError(`-Z: "${name}" is not a user name`);
  const account = getent(name);
  if (account === null) throw new UsageError(`-Z: no such user "${name}"`);
  return account;
}

/** Check -Z before anything is opened, so a mistake costs nothing. */
export function checkDropPrivileges(name: string): Account {
  const account = lookupUser(name);
  if (!isRoot()) {
    throw new UsageError(`-Z ${name}: tcpwatch is not running as root, so there are no privileges to drop`);
  }
  return account;
}

/** The user who ran sudo, when sudo started this root process on behalf of another user. */
function sudoAccount(env: NodeJS.ProcessEnv): Account | null {
  const { SUDO_USER: name, SUDO_UID: uid, SUDO_GID: gid } = env;
  if (name === undefined || uid === undefined || gid === undefined) return null;
  if (!/^\d+$/.test(uid) || !/^\d+$/.test(gid) || Number(uid) === 0) return null;
  const known = getent(name);
  // A stale or forged SUDO_USER that names someone else's uid is not believed.
  if (known === null || known.uid !== Number(uid)) return null;
  return { name: known.name, uid: known.uid, gid: Number(gid) };
}

/**
 * Whom a live capture runs as once its device is open: null when it keeps the user it started as
 * (not root, or `-Z root`, which prints KEEP_ROOT_WARNING). Checked before anything is opened.
 */
export function liveCaptureAccount(user: string | undefined, env: NodeJS.ProcessEnv = process.env): Account | null {
  if (user !== undefined) {
    const account = checkDropPrivileges(user);
    if (account.uid === 0) {
      process.stderr.write(KEEP_ROOT_WARNING + '\n');
      return null;
    }
    return account;
  }
  if (!isRoot()) return null;
  const sudo = sudoAccount(env);
  if (sudo !== null) return sudo;
  for (const name of UNPRIVILEGED_ACCOUNTS) {
    const account = getent(name);
    if (account !== null && account.uid !== 0) return account;
  }
  throw new UsageError(`there is no unprivileged account to capture as (neither ${UNPRIVILEGED_ACCOUNTS.join(' nor ')} exists): name one with -Z USER, or -Z root to keep root`);
}

/**
 * What every thread of this process still holds, as "CapEff=…" strings: a capability set that is
 * not empty, and with `execLimited` a bounding set that is not empty or no_new_privs not set.
 */
export function capabilitiesHeld(execLimited: boolean): string[] {
  const held: string[] = [];
  let tasks: string[];
  try {
    tasks = fs.readdirSync('/proc/self/task');
  } catch {
    return held; // no procfs: nothing to check against
  }
  for (const task of tasks) {
    let status: string;
    try {
      status = fs.readFileSync(`/proc/self/task/${task}/status`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    for (const set of CAPABILITY_SETS) {
      const m = new RegExp(`^${set}:\\s*([0-9a-f]+)$`, 'm').exec(status);
      if (m !== null && !/^0+$/.test(m[1]) && !held.includes(`${set}=${m[1]}`)) held.push(`${set}=${m[1]}`);
    }
    if (!execLimited) continue;
    const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? 'unknown';
    if (!/^0+$/.test(bounding) && !held.includes(`CapBnd=${bounding}`)) held.push(`CapBnd=${bounding}`);
    const noNewPrivs = /^NoNewPrivs:\s*(\d+)$/m.exec(status)?.[1] ?? 'unknown';
    if (noNewPrivs !== '1' && !held.includes(`NoNewPrivs=${noNewPrivs}`)) held.push(`NoNewPrivs=${noNewPrivs}`);
  }
  return held;
}

let keptBoundingSetSaid = false;

/** Said once per process when the bounding set and no_new_privs could not be set. */
export function boundingSetKeptWarning(reason: string): string {
  return `tcpwatch: the capability bounding set is kept and no_new_privs is not set (${reason}): a setuid or file-capability program started later could regain privileges; bash scripts/setup.sh builds native/prctl`;
}

/**
 * Empties the bounding set and sets no_new_privs on every thread, while still root. Null when
 * done, else why not (native/prctl not built, or what the kernel refused).
 */
function limitExecPrivileges(): string | null {
  let prctl: PrctlModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    prctl = require(PRCTL_MODULE) as PrctlModule;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'MODULE_NOT_FOUND' ? 'native/prctl is not built' : `native/prctl does not load: ${String((e as Error).message).split('\n')[0]}`;
  }
  try {
    prctl.limitExecPrivileges();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Empty the bounding set and set no_new_privs, switch groups, group and user, in that order, then
 * check that nothing is left. `sayKept`: whether this process is the one that tells the user when
 * the bounding set stays (the UI says it for its capture process too).
 */
export function dropPrivileges(account: Account, sayKept = true): void {
  // The bounding set can only be lowered with CAP_SETPCAP, which setuid takes away.
  const notLimited = account.uid === 0 ? null : limitExecPrivileges();
  if (notLimited !== null && sayKept && !keptBoundingSetSaid) {
    keptBoundingSetSaid = true;
    process.stderr.write(boundingSetKeptWarning(notLimited) + '\n');
  }
  const p = process as unknown as { initgroups(user: string, gid: number): void; setgroups(groups: number[]): void };
  // initgroups is POSIX-only and missing from the type declarations
  try {
    p.initgroups(account.name, account.gid);
  } catch {
    p.setgroups([account.gid]);
  }
  process.setgid!(account.gid);
  process.setuid!(account.uid);
  if (process.getuid!() !== account.uid || process.geteuid!() !== account.uid || process.getegid!() !== account.gid) {
    throw new Error(`could not become ${account.name}`);
  }
  if (account.uid === 0) return; // -Z root: nothing was meant to be given up
  const held = capabilitiesHeld(notLimited === null);
  if (held.length > 0) throw new Error(`still holding capabilities as ${account.name} (${held.join(', ')})`);
}

/**
 * Give up root for `account` (null: keep what this process has). A failure is one line naming the
 * account: the capture must not go on as root when it was meant not to.
 */
export function dropPrivilegesOrExplain(account: Account | null, sayKept = true): void {
  if (account === null) return;
  try {
    dropPrivileges(account, sayKept);
  } catch (e) {
    throw new UsageError(`cannot give up root for ${account.name}: ${(e as Error).message}`);
  }
}

/**
 * A -w file that cannot be created as `account` chosen without -Z: say who was writing, since the
 * user ran tcpwatch as root and may not expect the file to be created as someone else.
 */
export function explainWriteAs(e: unknown, account: Account | null, user: string | undefined): unknown {
  if (account === null || user !== undefined || !(e instanceof UsageError) || !/EACCES|EPERM/.test(e.message)) return e;
  return new UsageError(`${e.message}: tcpwatch writes it as ${account.name}, after giving up root (-Z USER to choose the account, -Z root to keep root)`);
}

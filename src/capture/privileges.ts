// -Z USER: after the capture handle is open, a root tcpwatch gives up root, as tcpdump does. The
// capture keeps working on the handle it has; everything after (files written with -w, the key log
// re-reads, the UI) runs as the unprivileged user, so a bug in a dissector is not a root bug.

import { spawnSync } from 'node:child_process';
import { UsageError } from '../errors';

export interface Account { name: string; uid: number; gid: number }

export function lookupUser(name: string): Account {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new UsageError(`-Z: "${name}" is not a user name`);
  const r = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
  const line = r.status === 0 ? r.stdout.split('\n')[0] : '';
  const parts = line.split(':');
  if (parts.length < 4) throw new UsageError(`-Z: no such user "${name}"`);
  return { name, uid: Number(parts[2]), gid: Number(parts[3]) };
}

/** Check -Z before anything is opened, so a mistake costs nothing. */
export function checkDropPrivileges(name: string): Account {
  const account = lookupUser(name);
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new UsageError(`-Z ${name}: tcpwatch is not running as root, so there are no privileges to drop`);
  }
  return account;
}

/** Switch groups, group and user, in that order (the reverse would leave root's groups behind). */
export function dropPrivileges(account: Account): void {
  // initgroups is POSIX-only and missing from the type declarations
  (process as unknown as { initgroups(user: string, gid: number): void }).initgroups(account.name, account.gid);
  process.setgid!(account.gid);
  process.setuid!(account.uid);
  if (process.getuid!() !== account.uid || process.geteuid!() !== account.uid) {
    throw new Error(`could not become ${account.name}`);
  }
}

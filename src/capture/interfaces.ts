// Which interfaces can be captured on, which one to use when -i is absent, and the checks that turn
// the first mistakes users make (a typo in -i, an interface that is down, no capture permission)
// into one clear line before libpcap is asked, because cap's own messages for them are terse and a
// failed open leaves a libpcap handle behind (native-notes/cap.md, "Failed opens").

import * as fs from 'node:fs';
import { CapDevice } from './cap-binding';
import { UsageError } from '../errors';

// <linux/if.h> interface flags as /sys/class/net/NAME/flags shows them
const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
// <linux/capability.h>
const CAP_NET_RAW = 13;

export interface CaptureInterface {
  name: string;
  description: string;
  /** Addresses in CIDR notation (192.0.2.2/24, fe80::1/64). */
  addresses: string[];
  /** Null for libpcap pseudo-devices that are not network interfaces (nflog, dbus-system …). */
  up: boolean | null;
  running: boolean | null;
  loopback: boolean;
}

function sysfsName(name: string): boolean {
  return name !== '' && !name.includes('/') && name !== '.' && name !== '..';
}

/** Interface flags from sysfs, or null when NAME is not a network interface of this namespace. */
export function interfaceFlags(name: string): number | null {
  if (!sysfsName(name)) return null;
  try {
    return parseInt(fs.readFileSync(`/sys/class/net/${name}/flags`, 'utf8').trim(), 16);
  } catch {
    return null;
  }
}

// sysfs "flags" is dev->flags, which never holds IFF_RUNNING; the kernel derives "running" from
// the carrier, which sysfs shows (and refuses to read while the interface is down).
function hasCarrier(name: string): boolean {
  try {
    return fs.readFileSync(`/sys/class/net/${name}/carrier`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

function prefixLength(netmask: string | undefined): number | null {
  if (netmask === undefined) return null;
  let bits = 0;
  if (netmask.includes(':')) {
    const groups = expandIPv6(netmask);
    for (const g of groups) bits += popcount16(g);
  } else {
    for (const part of netmask.split('.')) bits += popcount16(Number(part) & 0xff);
  }
  return bits;
}

function popcount16(v: number): number {
  let n = 0;
  for (let x = v; x !== 0; x &= x - 1) n++;
  return n;
}

function expandIPv6(a: string): number[] {
  const [head, tail] = a.split('::');
  const h = head ? head.split(':').map((g) => parseInt(g, 16)) : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':').map((g) => parseInt(g, 16)) : [];
  const zeros = tail === undefined ? 0 : 8 - h.length - t.length;
  return [...h, ...new Array<number>(Math.max(0, zeros)).fill(0), ...t];
}

/** libpcap's list (pcap_findalldevs order: up and running first, loopback after) with state from sysfs. */
export function captureInterfaces(devices: CapDevice[]): CaptureInterface[] {
  return devices.map((dev) => {
    const flags = interfaceFlags(dev.name);
    const addresses: string[] = [];
    for (const a of dev.addresses) {
      if (a.addr === undefined) continue;
      const bits = prefixLength(a.netmask);
      addresses.push(bits === null ? a.addr : `${a.addr}/${bits}`);
    }
    // "any" is not in sysfs but is always usable, as libpcap's own list says.
    const pseudoUp = dev.name === 'any' ? true : null;
    return {
      name: dev.name,
      description: dev.description ?? '',
      addresses,
      up: flags === null ? pseudoUp : (flags & IFF_UP) !== 0,
      running: flags === null ? pseudoUp : (flags & IFF_UP) !== 0 && hasCarrier(dev.name),
      loopback: dev.flags === 'PCAP_IF_LOOPBACK' || (flags !== null && (flags & IFF_LOOPBACK) !== 0),
    };
  });
}

/** As tcpdump chooses without -i: the first interface that is up, not loopback, and has an address. */
export function defaultInterface(list: CaptureInterface[]): CaptureInterface | null {
  for (const i of list) if (i.up === true && !i.loopback && i.addresses.length > 0) return i;
  return null;
}

/** -D output: one line per interface, numbered as tcpdump -D numbers them. */
export function formatInterfaceList(list: CaptureInterface[]): string[] {
  return list.map((i, n) => {
    const state: string[] = [];
    if (i.up !== null) state.push(i.up ? 'up' : 'down');
    if (i.running === true) state.push('running');
    if (i.loopback) state.push('loopback');
    let line = `${n + 1}. ${i.name}`;
    if (i.description) line += ` (${i.description})`;
    if (state.length) line += ` [${state.join(', ')}]`;
    if (i.addresses.length) line += ' ' + i.addresses.join(' ');
    return line;
  });
}

/** Throws the UsageError a user should see when NAME cannot be captured on: unknown or down. */
export function checkCaptureInterface(name: string, list: CaptureInterface[]): CaptureInterface {
  const found = list.find((i) => i.name === name);
  if (found === undefined) {
    const names = list.map((i) => i.name).join(', ');
    throw new UsageError(`no interface named "${name}"; the interfaces are: ${names}`);
  }
  if (found.up === false) {
    throw new UsageError(`interface ${name} is down: bring it up (ip link set ${name} up) or capture on another (tcpwatch -D lists them)`);
  }
  return found;
}

/** The two ways to get capture permission, for every message that needs them. */
export function permissionFix(): string {
  let node = process.execPath;
  try {
    node = fs.realpathSync(node);
  } catch {
    // keep execPath
  }
  return `run tcpwatch as root (sudo tcpwatch …), or let node capture without root: sudo setcap cap_net_raw,cap_net_admin=eip ${node}`;
}

/**
 * Whether this process may open packet sockets: CAP_NET_RAW in the effective set (root normally has
 * it; a container may take it away; setcap on node grants it without root). Null when /proc does
 * not say, and libpcap's own answer decides.
 */
export function hasCapturePermission(): boolean | null {
  let status: string;
  try {
    status = fs.readFileSync('/proc/self/status', 'utf8');
  } catch {
    return null;
  }
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  if (m === null) return null;
  const low = parseInt(m[1].slice(-8), 16);
  return ((low >>> CAP_NET_RAW) & 1) === 1;
}

export function checkCapturePermission(device: string): void {
  if (hasCapturePermission() === false) {
    throw new UsageError(`no permission to capture on ${device}: ${permissionFix()}`);
  }
}

// Name resolution as tshark's -N does it, from files and from the capture only: MAC addresses
// (ethers files, Wireshark's well-known addresses and vendors: wka, manuf), host names (/etc/hosts, Wireshark's hosts
// files, -H files, and A/AAAA records seen in the capture's DNS), and transport port names
// (Wireshark's services, else /etc/services). tcpwatch never asks a DNS server: nothing here opens
// a socket. Off until -N turns a kind on; every view asks here, so all views agree.

import { existsSync, readFileSync } from 'fs';
import { homedir } from 'os';
import { join } from 'path';
import { ipv4At, ipv6At, macAt } from './format';

/** Which kinds of names are shown: tshark's -N m, n (with d), t. */
export const nameResolution = { mac: false, network: false, transport: false, learnFromDns: false };

/** Wireshark's data files, as Debian's libwireshark-data installs them. */
const WIRESHARK_DATA_DIR = '/usr/share/wireshark';
/**
 * Wireshark's personal configuration directory, found as Wireshark 4.0 finds it (wsutil/filesystem.c):
 * $WIRESHARK_CONFIG_DIR, else wireshark/ under $XDG_CONFIG_HOME (~/.config), unless only the old
 * ~/.wireshark exists.
 */
function wiresharkPersonalDir(): string {
  const env = process.env;
  if (env.WIRESHARK_CONFIG_DIR) return env.WIRESHARK_CONFIG_DIR;
  const xdg = join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'wireshark');
  const old = join(homedir(), '.wireshark');
  return !existsSync(xdg) && existsSync(old) ? old : xdg;
}
const WIRESHARK_PERSONAL_DIR = wiresharkPersonalDir();
/**
 * The system's ethers file, which Wireshark reads from its system file directory (/etc on Unix).
 * TCPWATCH_SYSTEM_ETHERS names another one, for tests that cannot write /etc.
 */
const SYSTEM_ETHERS = process.env.TCPWATCH_SYSTEM_ETHERS || '/etc/ethers';
/** Wireshark keeps a resolved name in MAXNAMELEN (64) bytes, its NUL included. */
const MAX_NAME_LEN = 63;

/** tshark's -N letters that tcpwatch honours; N (external resolvers) and v (VLAN names) it does not. */
const FLAG_LETTERS = 'dmnt';

/**
 * Parse -N FLAGS and turn those kinds on; the error text when a letter is unknown. `n` also learns
 * names from DNS answers in the capture, as tshark -N dn with nameres.dns_pkt_addr_resolution.
 */
export function enableNameResolution(flags: string): string | null {
  for (const c of flags) {
    if (c === 'N') return '-N N: tcpwatch never asks a DNS server; -N n resolves from hosts files and the capture\'s DNS answers';
    if (!FLAG_LETTERS.includes(c)) return `-N specifies unknown resolving option '${c}': valid options are d (names from the capture's DNS answers), m (MAC vendors), n (network names: hosts files and the capture's DNS answers), t (transport ports)`;
  }
  if (flags.includes('m')) nameResolution.mac = true;
  if (flags.includes('n')) nameResolution.network = nameResolution.learnFromDns = true;
  if (flags.includes('d')) nameResolution.learnFromDns = true;
  if (flags.includes('t')) nameResolution.transport = true;
  return null;
}

/** Turn every kind off (the UI's toggle, tests). */
export function disableNameResolution(): void {
  nameResolution.mac = nameResolution.network = nameResolution.transport = nameResolution.learnFromDns = false;
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'latin1').split('\n');
  } catch {
    return [];
  }
}

// ---- MAC addresses: manuf (vendors, 24-bit, and ranges of 28 and 36 bits) and wka (well-known addresses) ----

/**
 * What manuf and wka say, as Wireshark 4.0 keeps it: single addresses, 24-bit vendor prefixes, and
 * every other range in one table keyed by its masked address alone, whatever its mask (so a
 * lookup at 40 bits finds a /25 range whose address ends in zeros: 01:00:5e:00:00:07 reads
 * IPv4mcast_07, as tshark 4.0 names it).
 */
interface EthTables {
  exact: Map<number, string>;
  ethers: Map<number, string>;
  vendors: Map<number, string>;
  /** A vendor prefix's long name (manuf's third column, else its short name), as eth.*.oui_resolved gives it. */
  vendorLongNames: Map<number, string>;
  ranges: Map<number, string>;
}
let ethTables: EthTables | null = null;
const macNames = new Map<number, string>();
const MAC_NAME_CACHE = 65536;

/** `00:11:22`, `00-50-C2-33-10-00/36`, `01.80.c2…`: the 48-bit value and the mask (0: a vendor prefix), or null. */
function parseEthPrefix(text: string): [number, number] | null {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const parts = addr.split(/[:.-]/);
  if (parts.length < 3 || parts.length > 6) return null;
  let v = 0;
  for (let i = 0; i < 6; i++) {
    const p = i < parts.length ? parts[i] : '0';
    if (!/^[0-9A-Fa-f]{1,2}$/.test(p)) return null;
    v = v * 256 + parseInt(p, 16);
  }
  let mask: number;
  if (slash >= 0) {
    if (!/^\d{1,2}$/.test(text.slice(slash + 1))) return null;
    mask = Number(text.slice(slash + 1));
    if (mask < 8 || mask > 48) return null;
  } else if (parts.length === 3) mask = 0;
  else if (parts.length === 6) mask = 48;
  else return null;
  return [v, mask];
}

/** The 48-bit value with only its first `bits` bits kept. */
const masked = (v: number, bits: number): number => Math.floor(v / 2 ** (48 - bits)) * 2 ** (48 - bits);

/** A name read from a manuf line (read as latin1, byte for byte), cut as Wireshark keeps it and decoded as the UTF-8 it is. */
const manufName = (latin1: string): string => Buffer.from(latin1.slice(0, MAX_NAME_LEN), 'latin1').toString('utf8');

function addEthFile(tables: EthTables, path: string): void {
  for (const line of readLines(path)) {
    const hash = line.indexOf('#');
    const text = (hash < 0 ? line : line.slice(0, hash)).trim();
    const words = text.split(/\s+/);
    if (words.length < 2) continue;
    const parsed = parseEthPrefix(words[0]);
    if (parsed === null) continue;
    const [v, mask] = parsed;
    const name = manufName(words[1]);
    if (mask === 0) {
      const oui = Math.floor(v / 2 ** 24);
      tables.vendors.set(oui, name);
      // As Wireshark's parse_ether_line: the long name runs from after the short name's separator to the next tab.
      const rest = text.slice(text.indexOf(words[1], words[0].length) + words[1].length + 1).replace(/^\t+/, '');
      const long = rest.split('\t')[0];
      tables.vendorLongNames.set(oui, long !== '' ? manufName(long) : name);
    } else if (mask === 48) tables.exact.set(v, name);
    else tables.ranges.set(masked(v, mask), name);
  }
}

/**
 * An ethers file: ADDRESS NAME, the address in full (00:11:22:33:44:55, 00-11-…, 0011.2233…).
 * Wireshark looks an address up in the personal file, then in the system's, taking the first line
 * that names it, so an address keeps the first name it is given.
 */
function addEthers(ethers: Map<number, string>, path: string): void {
  for (const line of readLines(path)) {
    const hash = line.indexOf('#');
    const words = (hash < 0 ? line : line.slice(0, hash)).trim().split(/\s+/);
    if (words.length < 2 || words[0].includes('/')) continue;
    const parsed = parseEthPrefix(words[0]);
    if (parsed === null || parsed[1] !== 48 || ethers.has(parsed[0])) continue;
    ethers.set(parsed[0], words[1].slice(0, MAX_NAME_LEN));
  }
}

function ethTablesLoaded(): EthTables {
  if (ethTables !== null) return ethTables;
  ethTables = { exact: new Map(), ethers: new Map(), vendors: new Map(), vendorLongNames: new Map(), ranges: new Map() };
  addEthers(ethTables.ethers, join(WIRESHARK_PERSONAL_DIR, 'ethers'));
  addEthers(ethTables.ethers, SYSTEM_ETHERS);
  addEthFile(ethTables, join(WIRESHARK_DATA_DIR, 'manuf'));
  addEthFile(ethTables, join(WIRESHARK_DATA_DIR, 'wka'));
  addEthFile(ethTables, join(WIRESHARK_PERSONAL_DIR, 'manuf'));
  return ethTables;
}

const hex2 = (b: number): string => (b < 16 ? '0' : '') + b.toString(16);

/** The address's bytes from `from` on, the first of them under `keepBits`, as Wireshark joins them. */
function tail(bytes: Uint8Array, from: number, keepBits: number): string {
  let s = '_' + hex2(bytes[from] & (0xff >> (8 - keepBits)));
  for (let i = from + 1; i < 6; i++) s += ':' + hex2(bytes[i]);
  return s;
}

/**
 * The MAC address as Wireshark's eth_addr_resolve names it: a well-known address (wka and manuf's
 * single addresses, which Wireshark loads into its table of names first); else an ethers file's
 * name; else a well-known range narrower than 24 bits; else the vendor (the group bit cleared if need be);
 * else a wider well-known range; else the address itself.
 */
function resolveMac(v: number, bytes: Uint8Array): string {
  const tables = ethTablesLoaded();
  const lookup = (bits: number): string | undefined => tables.ranges.get(masked(v, bits));
  const exact = tables.exact.get(v) ?? tables.ethers.get(v);
  if (exact !== undefined) return exact;
  for (let bits = 47; bits >= 24; bits--) {
    const name = lookup(bits);
    if (name !== undefined) return name + tail(bytes, bits >> 3, 8 - (bits & 7));
  }
  const vendors = tables.vendors;
  const oui = Math.floor(v / 2 ** 24);
  let vendor = vendors?.get(oui);
  if (vendor === undefined && (bytes[0] & 0x01) !== 0) vendor = vendors?.get(oui & 0xfeffff);
  if (vendor !== undefined) return vendor + tail(bytes, 3, 8);
  for (let bits = 23; bits >= 8; bits--) {
    const name = lookup(bits);
    if (name !== undefined) return name + tail(bytes, bits >> 3, 8 - (bits & 7));
  }
  return macAt(Buffer.from(bytes), 0);
}

/**
 * The vendor the manuf and wka files give for a 24-bit OUI, by its long name; undefined when they
 * give none. Looked up exactly (no group bit cleared), as Wireshark's get_manuf_name_if_known, and
 * whatever -N says: tshark names the OUI of eth.dst and eth.src with name resolution off too.
 */
export function ouiVendorName(oui: number): string | undefined {
  return ethTablesLoaded().vendorLongNames.get(oui);
}

const macBytes = new Uint8Array(6);

/** The name -N m shows for the MAC address at buf[off]: resolved, else the address. */
export function macName(buf: Buffer, off: number): string {
  let v = 0;
  for (let i = 0; i < 6; i++) {
    macBytes[i] = buf[off + i];
    v = v * 256 + buf[off + i];
  }
  let s = macNames.get(v);
  if (s === undefined) {
    if (macNames.size >= MAC_NAME_CACHE) macNames.clear();
    s = resolveMac(v, macBytes);
    macNames.set(v, s);
  }
  return s;
}

/** The MAC address as the views show it: its name with -N m, else the address. */
export function macShown(buf: Buffer, off: number): string {
  return nameResolution.mac ? macName(buf, off) : macAt(buf, off);
}

// ---- host names: hosts files and the capture's DNS answers ----

interface HostName {
  name: string;
  /** The frame whose DNS answer gave the name (0: a hosts file), and the name before it. */
  frame: number;
  before: string | undefined;
}

/** IPv4 addresses by their 32-bit value, IPv6 by their text. */
let ipv4Hosts: Map<number, HostName> | null = null;
let ipv6Hosts: Map<string, HostName> | null = null;
const extraHostsFiles: string[] = [];
/** Names the capture's DNS teaches are bounded, as a capture may hold millions of answers. */
const MAX_LEARNED_NAMES = 1 << 20;
let learnedNames = 0;

/** -H FILE, as tshark: one more hosts file, read after the others. */
export function addHostsFile(path: string): void {
  extraHostsFiles.push(path);
  ipv4Hosts = ipv6Hosts = null;
}

const IPV4_TEXT = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseIpv4(text: string): number | null {
  const m = IPV4_TEXT.exec(text);
  if (m === null) return null;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const b = Number(m[i]);
    if (b > 255) return null;
    v = v * 256 + b;
  }
  return v;
}

/** IPv6 text in its canonical form (RFC 5952), or null when it is not an IPv6 address. */
function canonicalIpv6(text: string): string | null {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || !text.includes(':')) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (head === null || rest === null) return null;
  const fill = 8 - head.length - rest.length;
  if ((halves.length === 2 && fill < 1) || (halves.length === 1 && fill !== 0)) return null;
  const all = [...head, ...new Array<number>(fill).fill(0), ...rest];
  const bytes = Buffer.alloc(16);
  all.forEach((g, i) => bytes.writeUInt16BE(g, 2 * i));
  return ipv6At(bytes, 0);
}

/**
 * One hosts file: ADDRESS NAME [ALIAS…]. /etc/hosts keeps the first name of an address, as the
 * system's resolver reads it; Wireshark's own hosts files the last, as Wireshark reads them.
 */
function addHosts(path: string, firstWins: boolean): void {
  for (const line of readLines(path)) {
    const hash = line.indexOf('#');
    const words = (hash < 0 ? line : line.slice(0, hash)).trim().split(/\s+/);
    if (words.length < 2) continue;
    const name = words[1].slice(0, MAX_NAME_LEN);
    const v4 = parseIpv4(words[0]);
    if (v4 !== null) {
      if (!(firstWins && ipv4Hosts!.has(v4))) ipv4Hosts!.set(v4, { name, frame: 0, before: undefined });
      continue;
    }
    const v6 = canonicalIpv6(words[0]);
    if (v6 !== null && !(firstWins && ipv6Hosts!.has(v6))) ipv6Hosts!.set(v6, { name, frame: 0, before: undefined });
  }
}

function hostsLoaded(): void {
  if (ipv4Hosts !== null) return;
  ipv4Hosts = new Map();
  ipv6Hosts = new Map();
  learnedNames = 0;
  addHosts('/etc/hosts', true);
  addHosts(join(WIRESHARK_DATA_DIR, 'hosts'), false);
  addHosts(join(WIRESHARK_PERSONAL_DIR, 'hosts'), false);
  for (const f of extraHostsFiles) addHosts(f, false);
}

function learn<K>(table: Map<K, HostName>, key: K, name: string, frame: number): void {
  const old = table.get(key);
  if (old === undefined && learnedNames >= MAX_LEARNED_NAMES) return;
  if (old === undefined) learnedNames++;
  const shortName = name.slice(0, MAX_NAME_LEN);
  if (old !== undefined && old.name === shortName) return;
  table.set(key, { name: shortName, frame, before: old === undefined ? undefined : old.frame === frame ? old.before : old.name });
}

/** An A record of frame `frame` names the IPv4 address at buf[off] (Wireshark's add_ipv4_name). */
export function learnIpv4Name(buf: Buffer, off: number, name: string, frame: number): void {
  hostsLoaded();
  learn(ipv4Hosts!, buf.readUInt32BE(off), name, frame);
}

/** An AAAA record of frame `frame` names the IPv6 address at buf[off]. */
export function learnIpv6Name(buf: Buffer, off: number, name: string, frame: number): void {
  hostsLoaded();
  learn(ipv6Hosts!, ipv6At(buf, off), name, frame);
}

/**
 * The name of a host as known when the columns are written (`asOfFrame` 0), or as known when frame
 * `asOfFrame` began: a field's value is fixed while the frame is dissected, before its own DNS
 * answers are read, while the columns and the tree's labels are written after them.
 */
function known(entry: HostName | undefined, asOfFrame: number): string | undefined {
  if (entry === undefined) return undefined;
  return asOfFrame !== 0 && entry.frame === asOfFrame ? entry.before : entry.name;
}

/** The IPv4 address at buf[off] as -N n shows it: its name, else the address. */
export function ipv4Name(buf: Buffer, off: number, asOfFrame = 0): string {
  hostsLoaded();
  return known(ipv4Hosts!.get(buf.readUInt32BE(off)), asOfFrame) ?? ipv4At(buf, off);
}

/** The IPv4 address `v` (a 32-bit value) as -N n shows it. */
export function ipv4ValueName(v: number, asOfFrame = 0): string | undefined {
  hostsLoaded();
  return known(ipv4Hosts!.get(v >>> 0), asOfFrame);
}

/** The IPv6 address at buf[off] as -N n shows it: its name, else the address. */
export function ipv6Name(buf: Buffer, off: number, asOfFrame = 0): string {
  hostsLoaded();
  const text = ipv6At(buf, off);
  return known(ipv6Hosts!.get(text), asOfFrame) ?? text;
}

/** The name of the IPv6 address written `text`, or undefined. */
export function ipv6TextName(text: string, asOfFrame = 0): string | undefined {
  hostsLoaded();
  return known(ipv6Hosts!.get(text), asOfFrame);
}

/** IPv4 and IPv6 addresses as the columns show them: names with -N n, else the addresses. */
export function ipv4Shown(buf: Buffer, off: number): string {
  return nameResolution.network ? ipv4Name(buf, off) : ipv4At(buf, off);
}
export function ipv6Shown(buf: Buffer, off: number): string {
  return nameResolution.network ? ipv6Name(buf, off) : ipv6At(buf, off);
}

// ---- transport ports ----

export type PortKind = 'tcp' | 'udp';
let tcpServices: Map<number, string> | null = null;
let udpServices: Map<number, string> | null = null;
const MAX_PORT = 65535;

/** A services file: NAME PORT[-PORT]/PROTO[/PROTO…]; a later line names a port over an earlier one, as Wireshark reads it. */
function addServices(path: string): boolean {
  const lines = readLines(path);
  for (const line of lines) {
    const hash = line.indexOf('#');
    const words = (hash < 0 ? line : line.slice(0, hash)).trim().split(/\s+/);
    if (words.length < 2) continue;
    const m = /^(\d{1,5})(?:-(\d{1,5}))?((?:\/[a-z]+)+)$/.exec(words[1]);
    if (m === null) continue;
    const first = Number(m[1]);
    const last = m[2] !== undefined ? Number(m[2]) : first;
    if (last > MAX_PORT || last < first) continue;
    const protos = m[3].split('/');
    for (let p = first; p <= last; p++) {
      if (protos.includes('tcp')) tcpServices!.set(p, words[0]);
      if (protos.includes('udp')) udpServices!.set(p, words[0]);
    }
  }
  return lines.length > 1;
}

function servicesLoaded(): void {
  if (tcpServices !== null) return;
  tcpServices = new Map();
  udpServices = new Map();
  if (!addServices(join(WIRESHARK_DATA_DIR, 'services'))) addServices('/etc/services');
  addServices(join(WIRESHARK_PERSONAL_DIR, 'services'));
}

/** The service name of a TCP or UDP port, or undefined. */
export function portName(kind: PortKind, port: number): string | undefined {
  servicesLoaded();
  return (kind === 'tcp' ? tcpServices! : udpServices!).get(port);
}

/** A port as the Info column writes it with -N t: `http(80)`, or the number when it has no name. */
export function portInfo(kind: PortKind, port: number): string {
  const name = nameResolution.transport ? portName(kind, port) : undefined;
  return name !== undefined ? `${name}(${port})` : String(port);
}

/** A port as the tree writes it with -N t: `http (80)`, `43966 (43966)`; the number without. */
export function portLabel(kind: PortKind, port: number): string {
  if (!nameResolution.transport) return String(port);
  return `${portName(kind, port) ?? port} (${port})`;
}

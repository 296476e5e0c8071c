// Name resolution as tshark's -N does it, from files and from the capture only: MAC addresses
// (ethers files, Wireshark's well-known addresses and vendors: wka, manuf), host names (/etc/hosts, Wireshark's hosts
// files, -H files, and A/AAAA records seen in the capture's DNS), and transport port names
// (Wireshark's services, else /etc/services). tcpwatch never asks a DNS server: nothing here opens
// a socket. Off until -N turns a kind on; every view asks here, so all views agree.

import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'fs';
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
 * Names keyed by a 48-bit value (or a 24-bit OUI), packed so that manuf's fifty thousand lines cost
 * a few typed arrays instead of a Map of strings: the keys sorted for a binary search, and each
 * name a span [start, end) of one byte store, decoded when asked for.
 */
interface NameIndex {
  /** 48-bit addresses; vendors' 24-bit OUIs fit in 32 bits. */
  keys: Float64Array | Uint32Array;
  /** `stride` numbers a key: the short name's start and end, then (vendors) the long name's. */
  spans: Uint32Array;
  stride: number;
}

/**
 * What manuf and wka say, as Wireshark 4.0 keeps it: single addresses, 24-bit vendor prefixes, and
 * every other range in one table keyed by its masked address alone, whatever its mask (so a
 * lookup at 40 bits finds a /25 range whose address ends in zeros: 01:00:5e:00:00:07 reads
 * IPv4mcast_07, as tshark 4.0 names it). The ethers files are a user's own few lines, kept in a Map.
 */
interface EthTables {
  /** The UTF-8 bytes of every name, each already cut as Wireshark keeps it. */
  store: Buffer;
  exact: NameIndex;
  /** A vendor prefix's short name, then its long name (manuf's third column, else the short name), as eth.*.oui_resolved gives it. */
  vendors: NameIndex;
  ranges: NameIndex;
  ethers: Map<number, string>;
}
let ethTables: EthTables | null = null;
/** How many times the vendor tables were read: a plain -r must never pay for them (tests read it). */
export let ethTableLoads = 0;
const macNames = new Map<number, string>();
const MAC_NAME_CACHE = 65536;
/** Long vendor names already decoded, so a capture's few OUIs are decoded once, not per packet. */
const vendorNames = new Map<number, string | null>();
const VENDOR_NAME_CACHE = 4096;

const SPACE = 0x20, TAB = 0x09, HASH = 0x23, SLASH = 0x2f, NEWLINE = 0x0a;
/** What glib's g_strstrip strips: ASCII white space. */
const isAsciiSpace = (c: number): boolean => c === SPACE || (c >= TAB && c <= 0x0d);
/** What separates an address from its name and a short name from a long one: strtok's " \t". */
const isBlank = (c: number): boolean => c === SPACE || c === TAB;
const isSeparator = (c: number): boolean => c === 0x3a || c === 0x2e || c === 0x2d; // ':' '.' '-'
function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

/** parseEthPrefix's answer: the 48-bit value and the mask (0: a vendor prefix), or mask -1 when the text is no address. */
const prefix = { value: 0, mask: -1 };

/**
 * `00:11:22`, `00-50-C2-33-10-00/36`, `01.80.c2…` in buf[from, to): three to six groups of one or
 * two hex digits (the rest zero), then an optional /MASK of 8 to 48; without a mask, three groups
 * are a vendor prefix and six an address. Sets `prefix`; false when the text is no address.
 */
function parseEthPrefix(buf: Buffer, from: number, to: number): boolean {
  let v = 0, groups = 0, p = from;
  for (;;) {
    let digits = 0, octet = 0;
    while (p < to && digits < 3) {
      const d = hexDigit(buf[p]);
      if (d < 0) break;
      octet = octet * 16 + d;
      digits++;
      p++;
    }
    if (digits === 0 || digits > 2 || groups === 6) return false;
    v = v * 256 + octet;
    groups++;
    if (p === to || buf[p] === SLASH) break;
    if (!isSeparator(buf[p])) return false;
    p++;
  }
  if (groups < 3) return false;
  for (let g = groups; g < 6; g++) v *= 256;
  let mask: number;
  if (p < to) {
    p++; // the slash
    if (to - p < 1 || to - p > 2) return false;
    mask = 0;
    for (; p < to; p++) {
      const c = buf[p];
      if (c < 0x30 || c > 0x39) return false;
      mask = mask * 10 + (c - 0x30);
    }
    if (mask < 8 || mask > 48) return false;
  } else if (groups === 3) mask = 0;
  else if (groups === 6) mask = 48;
  else return false;
  prefix.value = v;
  prefix.mask = mask;
  return true;
}

/** The 48-bit value with only its first `bits` bits kept. */
const masked = (v: number, bits: number): number => Math.floor(v / 2 ** (48 - bits)) * 2 ** (48 - bits);

/** One line of a manuf, wka or ethers file, cut into its words: set by `scanLine`. */
const scanned = { addrStart: 0, addrEnd: 0, nameStart: 0, nameEnd: 0, longStart: 0, longEnd: 0 };

/**
 * Cut buf[from, to) as Wireshark's parse_ether_line does: the text before any '#', stripped; the
 * address and the short name end at a space or tab; the long name runs from after the short name's
 * separator, past any tabs, to the next tab (empty when there is none). False when the line has no
 * name.
 */
function scanLine(buf: Buffer, from: number, to: number): boolean {
  for (let p = from; p < to; p++) {
    if (buf[p] === HASH) {
      to = p;
      break;
    }
  }
  while (from < to && isAsciiSpace(buf[from])) from++;
  while (to > from && isAsciiSpace(buf[to - 1])) to--;
  let p = from;
  while (p < to && !isBlank(buf[p])) p++;
  scanned.addrStart = from;
  scanned.addrEnd = p;
  while (p < to && isBlank(buf[p])) p++;
  if (p === to) return false;
  scanned.nameStart = p;
  while (p < to && !isBlank(buf[p])) p++;
  scanned.nameEnd = p;
  if (p < to) p++;
  while (p < to && buf[p] === TAB) p++;
  scanned.longStart = p;
  while (p < to && buf[p] !== TAB) p++;
  scanned.longEnd = p;
  return true;
}

/** Calls `each(from, to)` for every line of buf. (Plain loops: a call into Buffer's native code per line costs more than the scan.) */
function forEachLine(buf: Buffer, each: (from: number, to: number) => void): void {
  let from = 0;
  for (let p = 0; p < buf.length; p++) {
    if (buf[p] !== NEWLINE) continue;
    each(from, p);
    from = p + 1;
  }
  if (from < buf.length) each(from, buf.length);
}

function readFileOrEmpty(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    return Buffer.alloc(0);
  }
}

const KIND_EXACT = 0, KIND_VENDOR = 1, KIND_RANGE = 2;

/**
 * The files, one after the other in one buffer, each followed by a newline (so that a file's last
 * line ends there), read straight into it: the text is the tables' byte store while they are built.
 */
function readFilesJoined(paths: string[]): Buffer {
  const fds: number[] = [];
  const sizes: number[] = [];
  try {
    for (const path of paths) {
      try {
        const fd = openSync(path, 'r');
        fds.push(fd);
        sizes.push(fstatSync(fd).size);
      } catch {
        // A file that cannot be read names nothing, as in Wireshark.
      }
    }
    const joined = Buffer.allocUnsafeSlow(sizes.reduce((sum, size) => sum + size + 1, 0));
    let at = 0;
    for (let f = 0; f < fds.length; f++) {
      // A file that shrinks after fstat ends early; one that grows is read to its size then.
      for (let left = sizes[f]; left > 0;) {
        const got = readSync(fds[f], joined, at, left, null);
        if (got <= 0) break;
        at += got;
        left -= got;
      }
      joined[at++] = NEWLINE;
    }
    return joined.subarray(0, at);
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/**
 * The manuf and wka files read into packed tables, a later line naming a key over an earlier
 * one's, as Wireshark's hash tables take them. Every line is first noted in typed arrays sized by
 * the text's line count, its names moved down in place to the front of the text (a name never
 * moves past the line being read), then each kind is sorted by key and its last line per key kept.
 */
function packEthFiles(text: Buffer): Omit<EthTables, 'ethers'> {
  let lines = 0;
  for (let p = 0; p < text.length; p++) if (text[p] === NEWLINE) lines++;
  const keys = new Float64Array(lines);
  const kinds = new Uint8Array(lines);
  const spans = new Uint32Array(4 * lines);
  let n = 0, used = 0;
  const keep = (start: number, end: number): number => {
    // Wireshark keeps MAXNAMELEN bytes, cut whatever the UTF-8; decoding later marks a cut character.
    const e = Math.min(end, start + MAX_NAME_LEN);
    for (let p = start; p < e; p++) text[used++] = text[p];
    return used;
  };
  forEachLine(text, (from, to) => {
    if (!scanLine(text, from, to) || !parseEthPrefix(text, scanned.addrStart, scanned.addrEnd)) return;
    const { value, mask } = prefix;
    kinds[n] = mask === 0 ? KIND_VENDOR : mask === 48 ? KIND_EXACT : KIND_RANGE;
    keys[n] = mask === 0 ? Math.floor(value / 2 ** 24) : mask === 48 ? value : masked(value, mask);
    spans[4 * n] = used;
    spans[4 * n + 1] = keep(scanned.nameStart, scanned.nameEnd);
    if (mask === 0 && scanned.longEnd > scanned.longStart) {
      spans[4 * n + 2] = used;
      spans[4 * n + 3] = keep(scanned.longStart, scanned.longEnd);
    } else {
      spans[4 * n + 2] = spans[4 * n];
      spans[4 * n + 3] = spans[4 * n + 1];
    }
    n++;
  });
  const index = (kind: number, stride: number, wide: boolean): NameIndex => {
    let count = 0;
    for (let i = 0; i < n; i++) if (kinds[i] === kind) count++;
    const order = new Uint32Array(count);
    for (let i = 0, j = 0; i < n; i++) if (kinds[i] === kind) order[j++] = i;
    order.sort((a, b) => keys[a] - keys[b] || a - b);
    let kept = 0;
    for (let j = 0; j < count; j++) if (j + 1 === count || keys[order[j + 1]] !== keys[order[j]]) order[kept++] = order[j];
    const out: NameIndex = { keys: wide ? new Float64Array(kept) : new Uint32Array(kept), spans: new Uint32Array(stride * kept), stride };
    for (let j = 0; j < kept; j++) {
      out.keys[j] = keys[order[j]];
      for (let s = 0; s < stride; s++) out.spans[stride * j + s] = spans[4 * order[j] + s];
    }
    return out;
  };
  // The names only, copied out so that the rest of the text is freed.
  return { store: Buffer.from(text.subarray(0, used)), exact: index(KIND_EXACT, 2, true), vendors: index(KIND_VENDOR, 4, false), ranges: index(KIND_RANGE, 2, true) };
}

/** The position of `key` in the index, or -1. */
function find(index: NameIndex, key: number): number {
  let lo = 0, hi = index.keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const k = index.keys[mid];
    if (k === key) return mid;
    if (k < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The name at `at` in the index (`long`: a vendor's long name), decoded as the UTF-8 it is; undefined when `at` is -1. */
function nameAt(tables: EthTables, index: NameIndex, at: number, long = false): string | undefined {
  if (at < 0) return undefined;
  const s = index.stride * at + (long ? 2 : 0);
  return tables.store.toString('utf8', index.spans[s], index.spans[s + 1]);
}

/**
 * An ethers file: ADDRESS NAME, the address in full (00:11:22:33:44:55, 00-11-…, 0011.2233…).
 * Wireshark looks an address up in the personal file, then in the system's, taking the first line
 * that names it, so an address keeps the first name it is given.
 */
function addEthers(ethers: Map<number, string>, path: string): void {
  const buf = readFileOrEmpty(path);
  forEachLine(buf, (from, to) => {
    if (!scanLine(buf, from, to)) return;
    for (let p = scanned.addrStart; p < scanned.addrEnd; p++) if (buf[p] === SLASH) return;
    if (!parseEthPrefix(buf, scanned.addrStart, scanned.addrEnd) || prefix.mask !== 48 || ethers.has(prefix.value)) return;
    ethers.set(prefix.value, buf.toString('utf8', scanned.nameStart, Math.min(scanned.nameEnd, scanned.nameStart + MAX_NAME_LEN)));
  });
}

function ethTablesLoaded(): EthTables {
  if (ethTables !== null) return ethTables;
  ethTableLoads++;
  const ethers = new Map<number, string>();
  addEthers(ethers, join(WIRESHARK_PERSONAL_DIR, 'ethers'));
  addEthers(ethers, SYSTEM_ETHERS);
  const files = [join(WIRESHARK_DATA_DIR, 'manuf'), join(WIRESHARK_DATA_DIR, 'wka'), join(WIRESHARK_PERSONAL_DIR, 'manuf')];
  ethTables = { ...packEthFiles(readFilesJoined(files)), ethers };
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
  const range = (bits: number): string | undefined => nameAt(tables, tables.ranges, find(tables.ranges, masked(v, bits)));
  const exact = nameAt(tables, tables.exact, find(tables.exact, v)) ?? tables.ethers.get(v);
  if (exact !== undefined) return exact;
  for (let bits = 47; bits >= 24; bits--) {
    const name = range(bits);
    if (name !== undefined) return name + tail(bytes, bits >> 3, 8 - (bits & 7));
  }
  const oui = Math.floor(v / 2 ** 24);
  let at = find(tables.vendors, oui);
  if (at < 0 && (bytes[0] & 0x01) !== 0) at = find(tables.vendors, oui & 0xfeffff);
  if (at >= 0) return nameAt(tables, tables.vendors, at) + tail(bytes, 3, 8);
  for (let bits = 23; bits >= 8; bits--) {
    const name = range(bits);
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
  let name = vendorNames.get(oui);
  if (name === undefined) {
    const tables = ethTablesLoaded();
    name = nameAt(tables, tables.vendors, find(tables.vendors, oui), true) ?? null;
    if (vendorNames.size >= VENDOR_NAME_CACHE) vendorNames.clear();
    vendorNames.set(oui, name);
  }
  return name ?? undefined;
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

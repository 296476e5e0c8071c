// The `cap` package (libpcap bindings, built by node-gyp at install) loaded on first use, so that
// reading files works on machines where it did not build. What cap does and does not give is
// written down in native-notes/cap.md; this file only types the part tcpwatch uses.

import { UsageError } from '../errors';
import { LINKTYPE } from '../decode/link';

export const CAP_MISSING_MESSAGE =
  'live capture needs the cap module, which did not build: apt-get install libpcap-dev && npm rebuild cap';

/** One entry of pcap_findalldevs() as cap reports it (only IPv4/IPv6 addresses, only the loopback flag). */
export interface CapDevice {
  name: string;
  description?: string;
  addresses: { addr?: string; netmask?: string; broadaddr?: string; dstaddr?: string }[];
  flags?: string;
}

/**
 * One libpcap handle. `open` keeps only a raw pointer to `buffer` and copies every packet into it:
 * the caller must keep that Buffer reachable until `close`, or libpcap writes into freed memory.
 */
export interface CapHandle {
  open(device: string, filter: string, bufferSizeBytes: number, buffer: Buffer): string;
  close(): boolean;
  /**
   * libpcap's counters since open (pcap_stats). Not in cap 0.2.1: scripts/cap-stats.patch adds it
   * (scripts/setup.sh applies it); absent on an unpatched build. Throws once the handle is closed.
   */
  stats?(): { received: number; dropped: number; ifdropped: number };
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): this;
  removeAllListeners(event?: string): this;
}

export interface CapModule {
  Cap: {
    new (): CapHandle;
    deviceList(): CapDevice[];
  };
}

/** cap hard-codes pcap_set_snaplen(65535): no frame it delivers is longer. */
export const CAP_SNAPLEN = 65535;

let loaded: CapModule | null = null;

/** The cap module, or a UsageError that says how to build it. */
export function loadCap(): CapModule {
  if (loaded !== null) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    loaded = require('cap') as CapModule;
  } catch (e) {
    // The first line says which part failed (no build/Release/cap.node, or libpcap.so missing at run time).
    const reason = String((e as Error).message ?? e).split('\n')[0];
    throw new UsageError(`${CAP_MISSING_MESSAGE} (${reason})`);
  }
  return loaded;
}

/**
 * LINKTYPE_* for the string cap's open() returns. cap names five DLT_* values and reports any other
 * as "Unknown linktype N" with the DLT number, which equals the LINKTYPE number for everything
 * Linux reports except DLT_RAW (12 on Linux, LINKTYPE_RAW is 101 in files).
 */
export function linkTypeFromCap(name: string): number {
  switch (name) {
    case 'ETHERNET': return LINKTYPE.ETHERNET;
    case 'NULL': return LINKTYPE.NULL;
    case 'RAW': return LINKTYPE.RAW;
    case 'LINKTYPE_LINUX_SLL': return LINKTYPE.LINUX_SLL;
    case 'IEEE802_11_RADIO': return 127; // LINKTYPE_IEEE802_11_RADIOTAP
  }
  const m = /^Unknown linktype (\d+)$/.exec(name);
  if (m === null) return -1;
  const dlt = Number(m[1]);
  return dlt === 12 || dlt === 14 ? LINKTYPE.RAW : dlt;
}

const LINKTYPE_NAMES: Record<number, string> = {
  0: 'NULL (BSD loopback)',
  1: 'EN10MB (Ethernet)',
  101: 'RAW (raw IP)',
  113: 'LINUX_SLL (Linux cooked v1)',
  127: 'IEEE802_11_RADIO (802.11 plus radiotap)',
  276: 'LINUX_SLL2 (Linux cooked v2)',
};

export function linkTypeName(linkType: number): string {
  return LINKTYPE_NAMES[linkType] ?? `LINKTYPE ${linkType}`;
}

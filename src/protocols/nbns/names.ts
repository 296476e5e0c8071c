// NetBIOS names (RFC 1001 §14.1, RFC 1002 §4.1): 16 bytes, the last one the name's type, carried
// first-level encoded as 32 letters 'A'–'P' in the first label of a DNS-style name whose further
// labels are the scope. Shown as tshark 4.0 shows them (packet-nbns.c get_nbns_name,
// packet-netbios.c process_netbios_name): `WORKGROUP<1b>`, a byte outside printable ASCII as `<XX>`,
// trailing spaces dropped, then the scope; a name that does not decode says why, in Wireshark's words.

import { nameText } from '../dns/wire';

/** RFC 1001 §14.1: a NetBIOS name's bytes, the 16th being its type. */
export const NETBIOS_NAME_LEN = 16;

/** packet-netbios.c's names of the 16th byte (netbios_name_type_descr). */
const NAME_TYPE_DESCRIPTIONS: Readonly<Record<number, string>> = {
  0x00: 'Workstation/Redirector', 0x01: 'Browser', 0x02: 'Workstation/Redirector', 0x03: 'Messenger service/Main name',
  0x05: 'Forwarded name', 0x06: 'RAS Server service', 0x1b: 'Domain Master Browser', 0x1c: 'Domain Controllers',
  0x1d: 'Local Master Browser', 0x1e: 'Browser Election Service', 0x1f: 'Net DDE Service', 0x20: 'Server service',
  0x21: 'RAS client service', 0x22: 'Exchange Interchange (MSMail Connector)', 0x23: 'Exchange Store', 0x24: 'Exchange Directory',
  0x2b: 'Lotus Notes Server service', 0x30: 'Modem sharing server service', 0x31: 'Modem sharing client service',
  0x43: 'SMS Clients Remote Control', 0x44: 'SMS Administrators Remote Control Tool', 0x45: 'SMS Clients Remote Chat',
  0x46: 'SMS Clients Remote Transfer', 0x4c: 'DEC Pathworks TCP/IP Service on Windows NT', 0x52: 'DEC Pathworks TCP/IP Service on Windows NT',
  0x6a: 'Microsoft Exchange IMC', 0x87: 'Microsoft Exchange MTA', 0xbe: 'Network Monitor Agent', 0xbf: 'Network Monitor Analyzer',
};

/** What a name's type (its 16th byte) is for, as the tree says it; -1 (a name that did not decode) is "Unknown". */
export const nameTypeDescription = (type: number): string => NAME_TYPE_DESCRIPTIONS[type] ?? 'Unknown';

const HEX = '0123456789abcdef';
const hex2 = (c: number): string => HEX[c >> 4] + HEX[c & 15];

/**
 * The first 15 bytes of a raw NetBIOS name at `p` as process_netbios_name writes them: printable
 * ASCII as it is, other bytes as `<XX>`, trailing spaces dropped. The caller has checked that the
 * 16 bytes are there.
 */
export function rawNetbiosName(bytes: ArrayLike<number>, p: number): string {
  let s = '';
  let kept = 0;
  for (let i = 0; i < NETBIOS_NAME_LEN - 1; i++) {
    const c = bytes[p + i];
    if (c >= 0x20 && c <= 0x7e) {
      s += String.fromCharCode(c);
      if (c !== 0x20) kept = s.length;
    } else {
      s += `<${hex2(c)}>`;
      kept = s.length;
    }
  }
  return s.slice(0, kept);
}

/** The decoded name and its type (-1 when the name is not a legal NetBIOS name). */
export interface NetbiosName { text: string; type: number }

const decoded = new Uint8Array(NETBIOS_NAME_LEN);
const A = 0x41;
const Z = 0x5a;
const DOT = 0x2e;

/**
 * The NetBIOS name whose DNS-style encoding starts at `p` in the message [msgOff, msgEnd), which
 * the caller has walked (dns/wire.ts walkName): Wireshark undoes the first-level encoding on the
 * name's text, so escapes and compression read exactly as its DNS name reader gives them.
 */
export function netbiosNameAt(buf: Buffer, msgOff: number, msgEnd: number, p: number): NetbiosName {
  const dotted = nameText(buf, msgOff, msgEnd, p);
  let k = 0;
  let n = 0;
  for (;;) {
    const hi = k < dotted.length ? dotted.charCodeAt(k) : 0;
    if (hi === 0 || hi === DOT) break;
    if (hi < A || hi > Z) return { text: 'Illegal NetBIOS name (1st character not between A and Z in first-level encoding)', type: -1 };
    const lo = k + 1 < dotted.length ? dotted.charCodeAt(k + 1) : 0;
    if (lo === 0 || lo === DOT) return { text: 'Illegal NetBIOS name (odd number of bytes)', type: -1 };
    if (lo < A || lo > Z) return { text: 'Illegal NetBIOS name (2nd character not between A and Z in first-level encoding)', type: -1 };
    // Letters past 'P' are taken as Wireshark takes them: their low four bits shifted into the byte.
    if (n < NETBIOS_NAME_LEN) decoded[n++] = (((hi - A) << 4) | (lo - A)) & 0xff;
    k += 2;
  }
  if (n !== NETBIOS_NAME_LEN) return { text: `Illegal NetBIOS name (${n} bytes long)`, type: -1 };
  const type = decoded[NETBIOS_NAME_LEN - 1];
  return { text: `${rawNetbiosName(decoded, 0)}<${hex2(type)}>${dotted.slice(k)}`, type };
}

// Client and server fingerprints of a TLS Hello, built only when a field asks for them:
//   JA3 / JA3S (Salesforce, BSD-3): "version,ciphers,extensions,groups,point formats" in decimal,
//   GREASE values removed, and its MD5 — as Wireshark's tls.handshake.ja3(_full) and ja3s(_full).
//   JA4 (FoxIO, BSD-3; technical_details/JA4.md): the client fingerprint only, with its raw (_r),
//   original-order (_o) and raw original-order (_ro) renderings. The other JA4+ methods are under a
//   different licence and are deliberately not implemented.

import { createHash } from 'node:crypto';
import { Ext, HelloView, isGrease } from './handshake';

const HEX = '0123456789abcdef';

function hex4(v: number): string {
  return HEX[(v >> 12) & 15] + HEX[(v >> 8) & 15] + HEX[(v >> 4) & 15] + HEX[v & 15];
}

/** Non-GREASE 16-bit values of [off, end) in order. */
function u16s(h: HelloView, off: number, end: number, dropGrease: boolean): number[] {
  const out: number[] = [];
  if (off < 0) return out;
  for (let q = off; q + 2 <= end; q += 2) {
    const v = h.buf.readUInt16BE(q);
    if (!dropGrease || !isGrease(v)) out.push(v);
  }
  return out;
}

/** Extension types in order, GREASE removed. */
function extensionTypes(h: HelloView): number[] {
  const out: number[] = [];
  if (h.extOff < 0) return out;
  for (let q = h.extOff; h.extEnd - q >= 4;) {
    const type = h.buf.readUInt16BE(q);
    const len = h.buf.readUInt16BE(q + 2);
    if (q + 4 + len > h.extEnd) break;
    if (!isGrease(type)) out.push(type);
    q += 4 + len;
  }
  return out;
}

export function ja3Full(h: HelloView): string {
  const ciphers = u16s(h, h.cipherOff, h.cipherEnd, true);
  const exts = extensionTypes(h);
  const groups = u16s(h, h.groupsOff, h.groupsEnd, true);
  const formats: number[] = [];
  if (h.pointFormatsOff >= 0) for (let q = h.pointFormatsOff; q < h.pointFormatsEnd; q++) formats.push(h.buf[q]);
  return `${h.version},${ciphers.join('-')},${exts.join('-')},${groups.join('-')},${formats.join('-')}`;
}

export function ja3sFull(h: HelloView): string {
  const cipher = h.cipherOff >= 0 ? h.buf.readUInt16BE(h.cipherOff) : 0;
  return `${h.version},${cipher},${extensionTypes(h).join('-')}`;
}

export function md5Hex(s: string): string {
  return createHash('md5').update(s, 'latin1').digest('hex');
}

function sha12(s: string): string {
  return createHash('sha256').update(s, 'latin1').digest('hex').slice(0, 12);
}

/** The JA4 version code of a TLS version number. */
function ja4Version(v: number): string {
  switch (v) {
    case 0x0304: return '13';
    case 0x0303: return '12';
    case 0x0302: return '11';
    case 0x0301: return '10';
    case 0x0300: return 's3';
    case 0x0002: return 's2';
    case 0xfeff: return 'd1';
    case 0xfefd: return 'd2';
    case 0xfefc: return 'd3';
    default: return '00';
  }
}

/**
 * First and last character of the first ALPN value, "00" without one. A value whose first byte is
 * not ASCII gives "99", as the JA4 release that made the project's test data does (a later revision
 * of the specification prints the hex digits' ends instead).
 */
function ja4Alpn(h: HelloView): string {
  if (h.alpnOff < 0 || h.alpnEnd - h.alpnOff < 1) return '00';
  const len = h.buf[h.alpnOff];
  if (len === 0 || h.alpnOff + 1 + len > h.alpnEnd) return '00';
  const first = h.buf[h.alpnOff + 1];
  const last = h.buf[h.alpnOff + len];
  if (first > 127) return '99';
  return String.fromCharCode(first) + String.fromCharCode(last);
}

function twoDigits(n: number): string {
  const c = Math.min(n, 99);
  return c < 10 ? '0' + c : String(c);
}

export interface Ja4 {
  ja4: string;
  ja4_r: string;
  ja4_o: string;
  ja4_ro: string;
}

/** JA4 of a Client Hello over TCP ('t') or QUIC ('q'), in all four renderings. */
export function ja4(h: HelloView, quic = false): Ja4 {
  const ciphers = u16s(h, h.cipherOff, h.cipherEnd, true).map(hex4);
  const exts = extensionTypes(h);
  let hasSni = false;
  for (const e of exts) if (e === Ext.ServerName) hasSni = true;
  const sigs = u16s(h, h.sigAlgOff, h.sigAlgEnd, true).map(hex4);
  const a = (quic ? 'q' : 't') + ja4Version(h.negotiatedVersion()) + (hasSni ? 'd' : 'i') + twoDigits(ciphers.length) +
    twoDigits(exts.length) + ja4Alpn(h);
  const sortedCiphers = ciphers.slice().sort().join(',');
  const origCiphers = ciphers.join(',');
  const extHex = exts.map(hex4);
  const sortedExts = extHex.filter((e) => e !== '0000' && e !== '0010').sort().join(',');
  const origExts = extHex.join(',');
  const sigPart = sigs.length > 0 ? '_' + sigs.join(',') : '';
  // No extensions besides SNI and ALPN: the third part is all zeros, in both orders.
  const cHash = (list: string): string => (sortedExts === '' ? '000000000000' : sha12(list + sigPart));
  const bHash = (list: string): string => (list === '' ? '000000000000' : sha12(list));
  return {
    ja4: `${a}_${bHash(sortedCiphers)}_${cHash(sortedExts)}`,
    ja4_r: `${a}_${sortedCiphers}_${sortedExts}${sigPart}`,
    ja4_o: `${a}_${bHash(origCiphers)}_${cHash(origExts)}`,
    ja4_ro: `${a}_${origCiphers}_${origExts}${sigPart}`,
  };
}

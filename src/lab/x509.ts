// A self-signed X.509 v3 certificate built in pure Node, so `tcpwatch tls serve` and the demo need no
// files, no openssl binary and no network. Node 20's crypto can sign but has no certificate builder,
// so the few DER structures RFC 5280 needs are encoded here by hand (X.690 DER, definite lengths).

import { generateKeyPairSync, randomBytes, sign, KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

// X.690 §8 universal tags
const TAG_BOOLEAN = 0x01;
const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;
const TAG_UTF8_STRING = 0x0c;
const TAG_UTC_TIME = 0x17;
const TAG_GENERALIZED_TIME = 0x18;
const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;
// RFC 5280 §4.1: [0] EXPLICIT version, [3] EXPLICIT extensions (constructed, context-specific)
const TAG_CTX_0_CONSTRUCTED = 0xa0;
const TAG_CTX_3_CONSTRUCTED = 0xa3;
// RFC 5280 §4.2.1.6 GeneralName: dNSName [2] IA5String, iPAddress [7] OCTET STRING (implicit, primitive)
const TAG_GENERAL_NAME_DNS = 0x82;
const TAG_GENERAL_NAME_IP = 0x87;

const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2'; // RFC 5758 §3.2
const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATION = '2.5.4.10';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_EXT_KEY_USAGE = '2.5.29.37';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const OID_KP_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

function derLength(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  const bytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function derTlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(value.length), value]);
}

export function derSequence(...items: Buffer[]): Buffer {
  return derTlv(TAG_SEQUENCE, Buffer.concat(items));
}

// X.690 §8.3: two's complement, minimal; a leading 0x00 keeps a high-bit value positive.
export function derInteger(value: Buffer | number): Buffer {
  let bytes: Buffer;
  if (typeof value === 'number') {
    const hex = value.toString(16);
    bytes = Buffer.from(hex.length % 2 === 1 ? '0' + hex : hex, 'hex');
  } else {
    bytes = value;
  }
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && (bytes[start + 1] & 0x80) === 0) start++;
  bytes = bytes.subarray(start);
  if (bytes.length === 0) bytes = Buffer.from([0]);
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return derTlv(TAG_INTEGER, bytes);
}

// X.690 §8.19: first two arcs share a byte, then base-128 with continuation bits.
export function derOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [arcs[0] * 40 + arcs[1]];
  for (let i = 2; i < arcs.length; i++) {
    let arc = arcs[i];
    const chunk: number[] = [arc & 0x7f];
    arc = Math.floor(arc / 128);
    while (arc > 0) {
      chunk.unshift((arc & 0x7f) | 0x80);
      arc = Math.floor(arc / 128);
    }
    out.push(...chunk);
  }
  return derTlv(TAG_OID, Buffer.from(out));
}

function derUtf8(text: string): Buffer {
  return derTlv(TAG_UTF8_STRING, Buffer.from(text, 'utf8'));
}

// RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, always in Z with seconds.
function derTime(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return derTlv(TAG_UTC_TIME, Buffer.from(digits.slice(2), 'ascii'));
  return derTlv(TAG_GENERALIZED_TIME, Buffer.from(digits, 'ascii'));
}

function derName(commonName: string, organization: string): Buffer {
  const rdn = (oid: string, value: string) => derTlv(TAG_SET, derSequence(derOid(oid), derUtf8(value)));
  return derSequence(rdn(OID_ORGANIZATION, organization), rdn(OID_COMMON_NAME, commonName));
}

function derExtension(oid: string, critical: boolean, value: Buffer): Buffer {
  const parts = [derOid(oid)];
  if (critical) parts.push(derTlv(TAG_BOOLEAN, Buffer.from([0xff])));
  parts.push(derTlv(TAG_OCTET_STRING, value));
  return derSequence(...parts);
}

function ipAddressBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand "::" and write eight 16-bit groups
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...new Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(parseInt(groups[i] ?? '0', 16) & 0xffff, i * 2);
  return out;
}

export interface SelfSignedOptions {
  commonName?: string;
  organization?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  validDays?: number;
  now?: Date;
}

export interface SelfSignedCertificate {
  keyPem: string;
  certPem: string;
  certDer: Buffer;
  privateKey: KeyObject;
}

function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

// ECDSA P-256 because key generation is instant (an RSA-2048 key costs ~100 ms) and every TLS 1.2
// and 1.3 client offers ECDHE-ECDSA suites.
export function generateSelfSignedCertificate(opts: SelfSignedOptions = {}): SelfSignedCertificate {
  const commonName = opts.commonName ?? 'localhost';
  const organization = opts.organization ?? 'tcpwatch lab';
  const dnsNames = opts.dnsNames ?? ['localhost'];
  const ipAddresses = (opts.ipAddresses ?? ['127.0.0.1', '::1']).filter((ip) => isIP(ip) !== 0);
  const now = opts.now ?? new Date();
  const validDays = opts.validDays ?? 30;

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });

  // RFC 5280 §4.1.2.2: positive, at most 20 octets; clear the top bit so no padding byte is needed
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  serial[0] |= 0x01;

  const signatureAlgorithm = derSequence(derOid(OID_ECDSA_WITH_SHA256));
  const name = derName(commonName, organization);
  // Backdated by an hour so a client whose clock is slightly behind still accepts it.
  const notBefore = new Date(now.getTime() - 3600_000);
  const notAfter = new Date(now.getTime() + validDays * 86400_000);

  const altNames = Buffer.concat([
    ...dnsNames.map((d) => derTlv(TAG_GENERAL_NAME_DNS, Buffer.from(d, 'ascii'))),
    ...ipAddresses.map((ip) => derTlv(TAG_GENERAL_NAME_IP, ipAddressBytes(ip))),
  ]);
  const extensions = derSequence(
    derExtension(OID_BASIC_CONSTRAINTS, true, derSequence()), // cA defaults to FALSE
    // RFC 5280 §4.2.1.3: digitalSignature is bit 0 -> 0x80 with 7 unused bits
    derExtension(OID_KEY_USAGE, true, derTlv(TAG_BIT_STRING, Buffer.from([0x07, 0x80]))),
    derExtension(OID_EXT_KEY_USAGE, false, derSequence(derOid(OID_KP_SERVER_AUTH))),
    derExtension(OID_SUBJECT_ALT_NAME, false, derSequence(altNames)),
  );

  const tbsCertificate = derSequence(
    derTlv(TAG_CTX_0_CONSTRUCTED, derInteger(2)), // v3
    derInteger(serial),
    signatureAlgorithm,
    name,
    derSequence(derTime(notBefore), derTime(notAfter)),
    name,
    spki,
    derTlv(TAG_CTX_3_CONSTRUCTED, extensions),
  );
  const signature = sign('sha256', tbsCertificate, privateKey); // DER Ecdsa-Sig-Value
  const certDer = derSequence(tbsCertificate, signatureAlgorithm, derTlv(TAG_BIT_STRING, Buffer.concat([Buffer.from([0]), signature])));

  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certPem: toPem('CERTIFICATE', certDer),
    certDer,
    privateKey,
  };
}

// Key derivation for TLS record decryption: from a key log's secrets to the keys and IVs that
// protect records. TLS 1.2 and earlier expand the master secret with their PRF into a key block
// (SSL 3.0 §6.2.2, RFC 2246 §5 and §6.3, RFC 5246 §5 and §6.3); TLS 1.3 expands each traffic
// secret with HKDF-Expand-Label (RFC 8446 §7.1, §7.3).

import { createHash, createHmac } from 'node:crypto';
import type { HashName } from './cipher-suites';

/** P_hash(secret, seed) of RFC 5246 §5, `length` bytes. */
export function pHash(hash: HashName, secret: Buffer, seed: Buffer, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let a = seed; // A(0)
  let filled = 0;
  while (filled < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(seed).digest();
    filled += block.copy(out, filled, 0, Math.min(block.length, length - filled));
  }
  return out;
}

/** The TLS 1.2 PRF (RFC 5246 §5): P_<hash>(secret, label + seed). */
export function prf12(hash: 'sha256' | 'sha384', secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  return pHash(hash, secret, Buffer.concat([Buffer.from(label, 'latin1'), seed]), length);
}

/** The TLS 1.0/1.1 PRF (RFC 2246 §5): P_MD5 over the first half of the secret XOR P_SHA-1 over the second. */
export function prf10(secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const half = Math.ceil(secret.length / 2); // the halves share a byte when the length is odd
  const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const md5 = pHash('md5', secret.subarray(0, half), labelSeed, length);
  const sha1 = pHash('sha1', secret.subarray(secret.length - half), labelSeed, length);
  for (let i = 0; i < length; i++) md5[i] ^= sha1[i];
  return md5;
}

/**
 * SSL 3.0 key block (RFC 6101 §6.2.2):
 * MD5(master + SHA('A' + master + server_random + client_random)) + MD5(master + SHA('BB' + …)) + …
 */
export function ssl3KeyBlock(master: Buffer, serverRandom: Buffer, clientRandom: Buffer, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let filled = 0;
  for (let i = 0; filled < length; i++) {
    if (i >= 26) throw new RangeError('SSL 3.0 key block longer than 26 MD5 blocks');
    const salt = Buffer.alloc(i + 1, 0x41 + i); // 'A', 'BB', 'CCC' …
    const inner = createHash('sha1').update(salt).update(master).update(serverRandom).update(clientRandom).digest();
    const block = createHash('md5').update(master).update(inner).digest();
    filled += block.copy(out, filled, 0, Math.min(block.length, length - filled));
  }
  return out;
}

/** TLS protocol versions on the wire. */
export const SSL3_0 = 0x0300;
export const TLS1_0 = 0x0301;
export const TLS1_1 = 0x0302;
export const TLS1_2 = 0x0303;
export const TLS1_3 = 0x0304;

/** The key block of a TLS ≤ 1.2 session: `length` bytes from the master secret and both randoms (RFC 5246 §6.3). */
export function keyBlock(
  version: number,
  prfHash: 'sha256' | 'sha384',
  master: Buffer,
  clientRandom: Buffer,
  serverRandom: Buffer,
  length: number,
): Buffer {
  if (version === SSL3_0) return ssl3KeyBlock(master, serverRandom, clientRandom, length);
  const seed = Buffer.concat([serverRandom, clientRandom]);
  if (version < TLS1_2) return prf10(master, 'key expansion', seed, length);
  return prf12(prfHash, master, 'key expansion', seed, length);
}

/** HKDF-Expand of RFC 5869 §2.3. */
export function hkdfExpand(hash: 'sha256' | 'sha384', prk: Buffer, info: Buffer, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let t: Buffer = Buffer.alloc(0);
  let filled = 0;
  for (let i = 1; filled < length; i++) {
    t = createHmac(hash, prk).update(t).update(info).update(Buffer.of(i)).digest();
    filled += t.copy(out, filled, 0, Math.min(t.length, length - filled));
  }
  return out;
}

/** HKDF-Expand-Label of RFC 8446 §7.1, with the "tls13 " prefix. */
export function hkdfExpandLabel(hash: 'sha256' | 'sha384', secret: Buffer, label: string, context: Buffer, length: number): Buffer {
  const fullLabel = Buffer.from('tls13 ' + label, 'latin1');
  const info = Buffer.allocUnsafe(2 + 1 + fullLabel.length + 1 + context.length);
  info.writeUInt16BE(length, 0);
  info[2] = fullLabel.length;
  fullLabel.copy(info, 3);
  info[3 + fullLabel.length] = context.length;
  context.copy(info, 4 + fullLabel.length);
  return hkdfExpand(hash, secret, info, length);
}

const EMPTY = Buffer.alloc(0);

/** Record key and IV of a TLS 1.3 traffic secret (RFC 8446 §7.3). */
export function trafficKeys(hash: 'sha256' | 'sha384', secret: Buffer, keyLen: number, ivLen: number): { key: Buffer; iv: Buffer } {
  return { key: hkdfExpandLabel(hash, secret, 'key', EMPTY, keyLen), iv: hkdfExpandLabel(hash, secret, 'iv', EMPTY, ivLen) };
}

/** The traffic secret after a KeyUpdate (RFC 8446 §7.2). */
export function nextTrafficSecret(hash: 'sha256' | 'sha384', secret: Buffer): Buffer {
  return hkdfExpandLabel(hash, secret, 'traffic upd', EMPTY, secret.length);
}

// The SSH wire format (RFC 4253 §4.2 version exchange, §6 binary packets) and the names tshark 4.0
// gives its messages (epan/dissectors/packet-ssh.c value strings), in one place.

/** RFC 4253 §6: packet_length (4) and padding_length (1) precede the payload. */
export const PACKET_LENGTH = 0;
export const PADDING_LENGTH = 4;
export const MESSAGE_CODE = 5;
/** RFC 4253 §7.1: SSH_MSG_KEXINIT: byte code, 16-byte cookie, ten name-lists, boolean, uint32 reserved. */
export const KEXINIT_COOKIE = 6;
export const COOKIE_LEN = 16;
export const KEXINIT_LISTS = 10;

/** packet-ssh.c treats a packet_length of 0xffff or more as "overly large" and reads to the segment's end. */
export const OVERLY_LARGE_LENGTH = 0xffff;

/** IANA's port for SSH, and 29418 (Gerrit Code Review), where tshark 4.0 also decodes SSH. */
export const SSH_TCP_PORTS = [22, 29418] as const;

// RFC 4250 §4.1.2 message numbers
export const MSG_KEXINIT = 20;
export const MSG_NEWKEYS = 21;
/** RFC 4253 §7: 30–49 are key exchange method specific; packet-ssh.c hands 30–39 to the method's dissector. */
export const KEX_SPECIFIC_FIRST = 30;
export const KEX_SPECIFIC_LAST = 39;

/** Which set of names a message code is read against (the key exchange method decides 30–39). */
export const enum NameTable {
  Ssh2 = 0,
  /** RFC 4253 §8 Diffie-Hellman (the default before both KEXINITs name a method). */
  KexDh = 1,
  /** RFC 4419 group exchange. */
  KexDhGex = 2,
  /** RFC 5656 §4 ECDH (curve25519 and curve448 reuse it, RFC 8731). */
  KexEcdh = 3,
  Ssh1 = 4,
}

const SSH2_NAMES: Readonly<Record<number, string>> = {
  1: 'Disconnect', 2: 'Ignore', 3: 'Unimplemented', 4: 'Debug', 5: 'Service Request', 6: 'Service Accept',
  20: 'Key Exchange Init', 21: 'New Keys',
  50: 'User Authentication Request', 51: 'User Authentication Failure', 52: 'User Authentication Success',
  53: 'User Authentication Banner', 60: 'Public Key algorithm accepted',
  80: 'Global Request', 81: 'Request Success', 82: 'Request Failure',
  90: 'Channel Open', 91: 'Channel Open Confirmation', 92: 'Channel Open Failure', 93: 'Window Adjust',
  94: 'Channel Data', 95: 'Channel Extended Data', 96: 'Channel EOF', 97: 'Channel Close', 98: 'Channel Request',
  99: 'Channel Success', 100: 'Channel Failure',
};
const KEX_DH_NAMES: Readonly<Record<number, string>> = {
  30: 'Diffie-Hellman Key Exchange Init', 31: 'Diffie-Hellman Key Exchange Reply',
};
const KEX_DH_GEX_NAMES: Readonly<Record<number, string>> = {
  30: 'Diffie-Hellman Group Exchange Request (Old)', 31: 'Diffie-Hellman Group Exchange Group',
  32: 'Diffie-Hellman Group Exchange Init', 33: 'Diffie-Hellman Group Exchange Reply',
  34: 'Diffie-Hellman Group Exchange Request',
};
const KEX_ECDH_NAMES: Readonly<Record<number, string>> = {
  30: 'Elliptic Curve Diffie-Hellman Key Exchange Init', 31: 'Elliptic Curve Diffie-Hellman Key Exchange Reply',
};
/** SSH 1 (never standardized; openssh's ssh1.h). */
const SSH1_NAMES: Readonly<Record<number, string>> = {
  0: 'No Message', 1: 'Disconnect', 2: 'Public Key', 3: 'Session Key', 4: 'User',
};
const TABLES = [SSH2_NAMES, KEX_DH_NAMES, KEX_DH_GEX_NAMES, KEX_ECDH_NAMES, SSH1_NAMES];

export function messageName(table: NameTable, code: number): string {
  return TABLES[table][code] ?? `Unknown (${code})`;
}

/** The value names of ssh.message_code in the details tree. */
export function messageNames(table: NameTable): Readonly<Record<number, string>> {
  return TABLES[table];
}

/** The method-specific names a negotiated key exchange method uses (packet-ssh.c ssh_set_kex_specific_dissector). */
export function kexTable(method: string): NameTable {
  if (method === 'diffie-hellman-group-exchange-sha1' || method === 'diffie-hellman-group-exchange-sha256') return NameTable.KexDhGex;
  if (method.startsWith('ecdh-sha2-') || method === 'curve25519-sha256@libssh.org' || method === 'curve25519-sha256' ||
    method === 'curve448-sha512') return NameTable.KexEcdh;
  return NameTable.KexDh;
}

/**
 * Ciphers tshark 4.0 tries to decrypt (packet-ssh.c ssh_decryption_set_cipher_id). Without a key
 * log it decrypts with all-zero keys. For chacha20-poly1305 and the CBC ciphers the packet length
 * it decrypts is garbage, over its 32768 limit but for about one packet in 2^17, and the packet adds
 * nothing to the Info column; tcpwatch shows nothing for them either. AES-GCM sends the length in
 * the clear, so tshark goes on to name a message from the garbage plaintext ("Encrypted packet
 * (plaintext_len=N), …"), which tcpwatch does not reproduce (no capture of the corpus uses GCM).
 * Every other cipher is shown as "Encrypted packet (len=N)".
 */
const TRIAL_DECRYPTED = new Set([
  'chacha20-poly1305@openssh.com', 'aes128-gcm@openssh.com', 'aes128-gcm', 'aes256-gcm@openssh.com', 'aes256-gcm',
  'aes128-cbc', 'aes192-cbc', 'aes256-cbc',
]);

export function isTrialDecrypted(cipher: string): boolean {
  return TRIAL_DECRYPTED.has(cipher);
}

/** RFC 4253 §7.1: the first algorithm on the client's list that the server also lists. */
export function chooseAlgorithm(client: string, server: string): string | null {
  const offered = server.split(',');
  for (const name of client.split(',')) if (offered.includes(name)) return name;
  return null;
}

/** Whether the bytes at off start with "SSH-", in any case (packet-ssh.c compares case-insensitively). */
export function startsWithSshDash(buf: Buffer, off: number, end: number): boolean {
  return end - off >= 4 && (buf[off] | 0x20) === 0x73 && (buf[off + 1] | 0x20) === 0x73 && (buf[off + 2] | 0x20) === 0x68 &&
    buf[off + 3] === 0x2d;
}

/** Case-insensitive prefix test over ASCII bytes. */
export function startsWithAscii(buf: Buffer, off: number, end: number, prefix: string): boolean {
  if (end - off < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    let b = buf[off + i];
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    let c = prefix.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (b !== c) return false;
  }
  return true;
}

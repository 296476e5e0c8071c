// TLS session secrets from NSS key log files (what browsers, curl, Node and OpenSSL write to
// SSLKEYLOGFILE), indexed by the Client Hello random they belong to. Sources: --keylog FILE,
// -o tls.keylog_file:FILE (tshark's spelling), the SSLKEYLOGFILE environment variable, and the
// Decryption Secrets Blocks of a pcapng file. A key log file that grows while tcpwatch runs (a
// browser started after the capture) is read again from where it was left, so later sessions
// still find their secrets.
//
// Format: https://firefox-source-docs.mozilla.org/security/nss/legacy/key_log_format/
//   <LABEL> <client random, 32 bytes hex> <secret hex>     '#' starts a comment line.

import * as fs from 'node:fs';
import type { DecryptionSecrets } from '../capture/file-reader';
import { SECRETS_TYPE_TLS_KEYLOG } from '../capture/file-reader';
import { preferences, type MainOptions } from '../hooks';
import { UsageError } from '../errors';

/** Secrets of one TLS session, as far as the key log has them. */
export interface SessionSecrets {
  /** CLIENT_RANDOM: the 48-byte master secret of TLS 1.2 and earlier. */
  masterSecret?: Buffer;
  clientEarlyTrafficSecret?: Buffer;
  clientHandshakeTrafficSecret?: Buffer;
  serverHandshakeTrafficSecret?: Buffer;
  clientTrafficSecret0?: Buffer;
  serverTrafficSecret0?: Buffer;
  exporterSecret?: Buffer;
  earlyExporterSecret?: Buffer;
}

type SecretName = keyof SessionSecrets;

/** The labels tcpwatch uses, with the secret each one carries and its allowed length in bytes. */
const LABELS: ReadonlyMap<string, { name: SecretName; minLen: number; maxLen: number }> = new Map([
  // TLS 1.2 and earlier: the master secret is always 48 bytes (RFC 5246 §8.1)
  ['CLIENT_RANDOM', { name: 'masterSecret', minLen: 48, maxLen: 48 }],
  // TLS 1.3 secrets are as long as the suite's hash: 32 (SHA-256) or 48 (SHA-384) bytes, RFC 8446 §7.1
  ['CLIENT_EARLY_TRAFFIC_SECRET', { name: 'clientEarlyTrafficSecret', minLen: 32, maxLen: 64 }],
  ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', { name: 'clientHandshakeTrafficSecret', minLen: 32, maxLen: 64 }],
  ['SERVER_HANDSHAKE_TRAFFIC_SECRET', { name: 'serverHandshakeTrafficSecret', minLen: 32, maxLen: 64 }],
  ['CLIENT_TRAFFIC_SECRET_0', { name: 'clientTrafficSecret0', minLen: 32, maxLen: 64 }],
  ['SERVER_TRAFFIC_SECRET_0', { name: 'serverTrafficSecret0', minLen: 32, maxLen: 64 }],
  ['EXPORTER_SECRET', { name: 'exporterSecret', minLen: 32, maxLen: 64 }],
  ['EARLY_EXPORTER_SECRET', { name: 'earlyExporterSecret', minLen: 32, maxLen: 64 }],
]);

const CLIENT_RANDOM_LEN = 32; // RFC 8446 §4.1.2, RFC 5246 §7.4.1.2
const HEX = /^[0-9a-fA-F]+$/;
const LABEL_SHAPE = /^[A-Z][A-Z0-9_]*$/;

/** Read a grown file again at most this often when a session's secrets are missing (ms). */
const REFRESH_INTERVAL_MS = 20;
/** Live capture: how often a missing secret is looked for again, how many empty waits in a row pause it, and for how long. */
const LIVE_POLL_MS = 2;
const LIVE_MISSES_BEFORE_PAUSE = 3;
const LIVE_PAUSE_MS = 1000;
/** What Atomics.wait sleeps on (never notified). */
const SLEEP = new Int32Array(new SharedArrayBuffer(4));

/** A key log file read incrementally: `offset` bytes are consumed, `partial` is an unfinished last line. */
interface KeyLogFile {
  path: string;
  /** Named by --keylog: must be readable. Preferences' files and SSLKEYLOGFILE may appear later. */
  required: boolean;
  offset: number;
  partial: string;
  /** Size at the last look; a partial line counts as complete once the size stops changing. */
  lastSize: number;
  /** Lines of this file read so far (for naming a bad line). */
  lineNo: number;
}

export class KeyLog {
  private readonly sessions = new Map<string, SessionSecrets>();
  private readonly files: KeyLogFile[] = [];
  private secretsSeen = 0;
  private lastRefreshMs = -Infinity;

  /** Lines read (comments and blank lines included). */
  lines = 0;
  /** Secrets stored (a session usually has several). */
  entries = 0;
  /** Malformed lines: not "LABEL RANDOM SECRET", bad hex, wrong lengths. Skipped. */
  skipped = 0;
  /** Well-formed lines with labels tcpwatch does not use (RSA, CLIENT_TRAFFIC_SECRET_N …). */
  ignored = 0;
  /** The first malformed line, for telling the user what went wrong. */
  firstSkipped: { source: string; line: number; reason: string } | null = null;

  /** Number of sessions (distinct client randoms) with at least one secret. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Whether any source (file, environment, capture file) could provide secrets. */
  get hasSources(): boolean {
    return this.files.length > 0 || this.sessions.size > 0;
  }

  /** Secrets for the session whose Client Hello carried `clientRandom` (32 bytes). */
  lookup(clientRandom: Buffer): SessionSecrets | undefined {
    if (clientRandom.length !== CLIENT_RANDOM_LEN) return undefined;
    return this.sessions.get(clientRandom.toString('hex'));
  }

  /**
   * Like lookup, but when the wanted secret is missing, first reads what the key log files gained
   * since the last look (a client writes its secrets while the capture runs).
   */
  lookupFresh(clientRandom: Buffer, want: SecretName): SessionSecrets | undefined {
    let s = this.lookup(clientRandom);
    if (s?.[want] === undefined && this.files.length > 0) {
      const now = performance.now();
      if (now - this.lastRefreshMs >= REFRESH_INTERVAL_MS) {
        this.lastRefreshMs = now;
        if (this.refresh() > 0) s = this.lookup(clientRandom);
      }
    }
    return s;
  }

  /**
   * Like lookupFresh, for a live capture whose packets may run a moment ahead of the client writing
   * their secrets: while the wanted secret is missing, the files are read again every
   * LIVE_POLL_MS, for at most `maxWaitMs`. A wait that ends empty-handed is remembered: after
   * LIVE_MISSES_BEFORE_PAUSE of them in a row (sessions the key log will never name) there is no
   * waiting for LIVE_PAUSE_MS, so traffic without keys costs the capture no more than that.
   */
  lookupWaiting(clientRandom: Buffer, want: SecretName, maxWaitMs: number): SessionSecrets | undefined {
    let s = this.lookupFresh(clientRandom, want);
    if (s?.[want] !== undefined || this.files.length === 0) return s;
    const start = performance.now();
    if (start < this.liveQuietUntil) return s;
    while (performance.now() - start < maxWaitMs) {
      Atomics.wait(SLEEP, 0, 0, LIVE_POLL_MS);
      this.lastRefreshMs = performance.now();
      if (this.refresh() > 0) {
        s = this.lookup(clientRandom);
        if (s?.[want] !== undefined) {
          this.liveMisses = 0;
          return s;
        }
      }
    }
    if (++this.liveMisses >= LIVE_MISSES_BEFORE_PAUSE) {
      this.liveMisses = 0;
      this.liveQuietUntil = performance.now() + LIVE_PAUSE_MS;
    }
    return s;
  }

  private liveMisses = 0;
  private liveQuietUntil = -Infinity;

  /** Parse key log text in full (the end of the text ends the last line). Returns secrets added. */
  addText(text: string, source = 'key log'): number {
    const before = this.entries;
    let lineNo = 0;
    let start = 0;
    while (start <= text.length) {
      let nl = text.indexOf('\n', start);
      if (nl < 0) nl = text.length;
      lineNo++;
      this.addLine(text.slice(start, nl), source, lineNo);
      start = nl + 1;
    }
    return this.entries - before;
  }

  /** Take the TLS key logs of pcapng Decryption Secrets Blocks that were not taken yet. */
  addSecrets(secrets: readonly DecryptionSecrets[]): number {
    let added = 0;
    for (; this.secretsSeen < secrets.length; this.secretsSeen++) {
      const s = secrets[this.secretsSeen];
      if (s.secretsType === SECRETS_TYPE_TLS_KEYLOG) added += this.addText(s.data.toString('latin1'), 'capture file secrets');
    }
    return added;
  }

  /**
   * Read a key log file now and keep following it. A required file that cannot be read is the
   * user's mistake (UsageError); an optional one (SSLKEYLOGFILE) may be created later.
   */
  addFile(path: string, required: boolean): void {
    if (this.files.some((f) => f.path === path)) return;
    if (required) {
      const problem = keyLogFileProblem(path);
      if (problem !== null) throw new UsageError(`${path}: ${problem}`);
    }
    const f: KeyLogFile = { path, required, offset: 0, partial: '', lastSize: -1, lineNo: 0 };
    this.files.push(f);
    this.readFile(f, true);
  }

  /** Read what every key log file gained since the last look. Returns secrets added. */
  refresh(): number {
    const before = this.entries;
    for (const f of this.files) this.readFile(f, false);
    return this.entries - before;
  }

  private readFile(f: KeyLogFile, atEnd: boolean): void {
    let fd: number;
    try {
      fd = fs.openSync(f.path, 'r');
    } catch {
      return; // not there (yet): SSLKEYLOGFILE of a browser that has not started
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < f.offset) {
        // truncated and rewritten: secrets already read stay valid, read the new content from the start
        f.offset = 0;
        f.partial = '';
        f.lineNo = 0;
      }
      const grown = size - f.offset;
      if (grown > 0) {
        const chunk = Buffer.allocUnsafe(grown);
        let got = 0;
        while (got < grown) {
          const n = fs.readSync(fd, chunk, got, grown - got, f.offset + got);
          if (n <= 0) break;
          got += n;
        }
        f.offset += got;
        this.consume(f, f.partial + chunk.toString('latin1', 0, got), atEnd);
      } else if (f.partial !== '' && (atEnd || size === f.lastSize)) {
        // a last line without its newline, unchanged since the previous look: the writer is done with it
        const line = f.partial;
        f.partial = '';
        this.addLine(line, f.path, ++f.lineNo);
      }
      f.lastSize = size;
    } catch {
      // a read error on a file that was readable: keep what was read, try again on the next refresh
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Parse whole lines of `text`; an unfinished last line waits for its newline unless `atEnd`. */
  private consume(f: KeyLogFile, text: string, atEnd: boolean): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.addLine(text.slice(start, nl), f.path, ++f.lineNo);
      start = nl + 1;
    }
    const rest = text.slice(start);
    if (atEnd && rest !== '') {
      f.partial = '';
      this.addLine(rest, f.path, ++f.lineNo);
    } else {
      f.partial = rest;
    }
  }

  private addLine(raw: string, source: string, lineNo: number): void {
    this.lines++;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(/[ \t]+/);
    if (parts.length !== 3) return this.skip(source, lineNo, 'expected LABEL CLIENT_RANDOM SECRET');
    const [label, randomHex, secretHex] = parts;
    if (!LABEL_SHAPE.test(label)) return this.skip(source, lineNo, `not a key log label: ${label.slice(0, 40)}`);
    const spec = LABELS.get(label);
    if (spec === undefined) {
      this.ignored++;
      return;
    }
    if (randomHex.length !== CLIENT_RANDOM_LEN * 2 || !HEX.test(randomHex)) {
      return this.skip(source, lineNo, 'client random is not 32 bytes of hex');
    }
    if (secretHex.length % 2 !== 0 || !HEX.test(secretHex)) return this.skip(source, lineNo, 'secret is not hex');
    const secretLen = secretHex.length / 2;
    if (secretLen < spec.minLen || secretLen > spec.maxLen) {
      return this.skip(source, lineNo, `${label} secret has ${secretLen} bytes`);
    }
    const key = randomHex.toLowerCase();
    let s = this.sessions.get(key);
    if (s === undefined) {
      s = {};
      this.sessions.set(key, s);
    }
    if (s[spec.name] === undefined) this.entries++;
    s[spec.name] = Buffer.from(secretHex, 'hex');
  }

  private skip(source: string, line: number, reason: string): void {
    this.skipped++;
    if (this.firstSkipped === null) this.firstSkipped = { source, line, reason };
  }
}

/** Why `path` cannot be read as a key log now ("cannot read key log (no such file)", "is a directory, not a key log"), or null. */
export function keyLogFileProblem(path: string): string | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch (e) {
    return `cannot read key log (${describeFsError(e)})`;
  }
  if (st.isDirectory()) return 'is a directory, not a key log';
  try {
    fs.accessSync(path, fs.constants.R_OK);
  } catch (e) {
    return `cannot read key log (${describeFsError(e)})`;
  }
  return null;
}

function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return code ?? String(e);
}

/** Preference names that name a key log file, as tshark spells them (ssl.* is Wireshark's old name). */
const KEYLOG_PREFS = ['tls.keylog_file', 'ssl.keylog_file'];
for (const name of KEYLOG_PREFS) preferences.add(name);

/** Key log files named by -o NAME:VALUE preferences. An empty value names none (tshark's way to unset it). */
export function keylogPathsFromPrefs(prefs: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of prefs) {
    const colon = p.indexOf(':');
    if (colon < 0) continue;
    const name = p.slice(0, colon).trim();
    if (!KEYLOG_PREFS.includes(name)) continue;
    const value = p.slice(colon + 1).trim();
    if (value !== '') out.push(value);
  }
  return out;
}

/**
 * The key log a run of tcpwatch uses: the --keylog file (which must be readable), the files of
 * tls.keylog_file preferences and SSLKEYLOGFILE (followed even before they exist: tshark 4.0 takes
 * `-o tls.keylog_file:` naming a missing file without a word and reads it once it is there).
 * Decryption Secrets Blocks are added by the caller as the capture file reveals them (KeyLog.addSecrets).
 */
export function keyLogFromOptions(opts: Pick<MainOptions, 'keylog' | 'pref'>, env: NodeJS.ProcessEnv = process.env): KeyLog {
  const log = new KeyLog();
  if (opts.keylog !== undefined) log.addFile(opts.keylog, true);
  for (const p of keylogPathsFromPrefs(opts.pref ?? [])) log.addFile(p, false);
  const envPath = env.SSLKEYLOGFILE;
  if (envPath !== undefined && envPath !== '') log.addFile(envPath, false);
  return log;
}

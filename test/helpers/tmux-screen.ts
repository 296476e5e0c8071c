// Reading what a test terminal shows: the attributes in effect at a place on a line captured with
// `capture-pane -e`, and small crafted TCP conversations to show in the UI.

import { openCaptureWriter } from '../../src/capture/file-writer';
import { CapturedFrame } from '../../src/capture/frame';
import { TH_SYN, TH_ACK, TH_PSH, TH_FIN, TH_RST } from '../../src/decode/tcp';
import { lineWith, plain } from './tmux';

/**
 * The attributes in effect where the row whose text contains `needle` starts, after every SGR
 * before it on its line, in a canonical form: "1;4;7;38;5;16;48;5;114" (bold, underline, reverse,
 * then foreground and background as the terminal got them).
 */
export function rowSgr(screen: string, needle: string): string {
  const line = lineWith(screen, needle);
  return sgrAt(line, plainIndex(line, needle));
}

/** Index in the escaped line where the plain-text position of `needle` starts. */
export function plainIndex(line: string, needle: string): number {
  const target = plain(line).indexOf(needle);
  let p = 0, i = 0;
  while (i < line.length) {
    // eslint-disable-next-line no-control-regex
    const m = /^\x1b\[[0-9;]*m/.exec(line.slice(i));
    if (m) { i += m[0].length; continue; }
    if (p === target) return i;
    p++;
    i++;
  }
  return i;
}

export function sgrAt(line: string, end: number): string {
  let bold = false, underline = false, reverse = false, fg = '', bg = '';
  // eslint-disable-next-line no-control-regex
  for (const m of line.slice(0, end).matchAll(/\x1b\[([0-9;]*)m/g)) {
    const p = m[1] === '' ? [0] : m[1].split(';').map(Number);
    for (let k = 0; k < p.length; k++) {
      const c = p[k];
      if (c === 0) { bold = underline = reverse = false; fg = bg = ''; }
      else if (c === 1) bold = true;
      else if (c === 4) underline = true;
      else if (c === 7) reverse = true;
      else if (c === 22) bold = false;
      else if (c === 24) underline = false;
      else if (c === 27) reverse = false;
      else if (c === 39) fg = '';
      else if (c === 49) bg = '';
      else if (c === 38 && p[k + 1] === 5) { fg = `38;5;${p[k + 2]}`; k += 2; }
      else if (c === 48 && p[k + 1] === 5) { bg = `48;5;${p[k + 2]}`; k += 2; }
      else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) fg = String(c);
      else if ((c >= 40 && c <= 47) || (c >= 100 && c <= 107)) bg = String(c);
    }
  }
  return [bold ? '1' : '', underline ? '4' : '', reverse ? '7' : '', fg, bg].filter(Boolean).join(';');
}

/** Offsets of the bytes the hex pane shows highlighted (the selected node's bytes), from the escaped screen. */
export function highlightedBytes(escaped: string): number[] {
  const out: number[] = [];
  for (const line of escaped.split('\n')) {
    const text = plain(line);
    const m = /^([0-9a-f]{4})  ((?:[0-9a-f]{2} ){1,16})/.exec(text);
    if (m === null) continue;
    const base = parseInt(m[1], 16);
    for (let k = 0; k * 3 < m[2].length; k++) {
      const at = plainIndexAt(line, 6 + k * 3);
      if (/48;5;179/.test(sgrAt(line, at))) out.push(base + k);
    }
  }
  return out;
}

/** Index in the escaped line of the character at plain-text column `col`. */
export function plainIndexAt(line: string, col: number): number {
  let p = 0, i = 0;
  while (i < line.length) {
    // eslint-disable-next-line no-control-regex
    const m = /^\x1b\[[0-9;]*m/.exec(line.slice(i));
    if (m) { i += m[0].length; continue; }
    if (p === col) return i + 1;
    p++;
    i++;
  }
  return i;
}

export function ipv4Tcp(src: number[], dst: number[], sport: number, dport: number, seq: number, ack: number, flags: number, payload: Buffer): Buffer {
  const ipLen = 20 + 20 + payload.length;
  const b = Buffer.alloc(14 + ipLen);
  b.writeUInt16BE(0x0800, 12);
  const ip = 14;
  b[ip] = 0x45;
  b.writeUInt16BE(ipLen, ip + 2);
  b[ip + 8] = 64;
  b[ip + 9] = 6;
  Buffer.from(src).copy(b, ip + 12);
  Buffer.from(dst).copy(b, ip + 16);
  const t = ip + 20;
  b.writeUInt16BE(sport, t);
  b.writeUInt16BE(dport, t + 2);
  b.writeUInt32BE(seq >>> 0, t + 4);
  b.writeUInt32BE(ack >>> 0, t + 8);
  b.writeUInt16BE((5 << 12) | flags, t + 12);
  b.writeUInt16BE(65535, t + 14);
  payload.copy(b, t + 20);
  return b;
}

/** A whole TCP conversation carrying `payload` from client to server; with `reset`, a final RST. */
export function writeConversation(file: string, payload: Buffer, reset: boolean): void {
  const C = [10, 0, 0, 1], S = [10, 0, 0, 2];
  const cp = 40000, sp = 80, ci = 1000, si = 5000, n = payload.length;
  const none = Buffer.alloc(0);
  const frames = [
    ipv4Tcp(C, S, cp, sp, ci, 0, TH_SYN, none),
    ipv4Tcp(S, C, sp, cp, si, ci + 1, TH_SYN | TH_ACK, none),
    ipv4Tcp(C, S, cp, sp, ci + 1, si + 1, TH_ACK, none),
    ipv4Tcp(C, S, cp, sp, ci + 1, si + 1, TH_PSH | TH_ACK, payload),
    ipv4Tcp(S, C, sp, cp, si + 1, ci + 1 + n, TH_ACK, none),
    ipv4Tcp(C, S, cp, sp, ci + 1 + n, si + 1, TH_FIN | TH_ACK, none),
    ipv4Tcp(S, C, sp, cp, si + 1, ci + 2 + n, TH_FIN | TH_ACK, none),
    ipv4Tcp(C, S, cp, sp, ci + 2 + n, si + 2, TH_ACK, none),
  ];
  if (reset) frames.push(ipv4Tcp(C, S, cp, sp, ci + 2 + n, 0, TH_RST, none));
  const w = openCaptureWriter(file, 1);
  const f = new CapturedFrame();
  frames.forEach((b, k) => {
    f.buf = b;
    f.off = 0;
    f.capLen = b.length;
    f.origLen = b.length;
    f.tsSec = 1700000000;
    f.tsNsec = k * 100000;
    f.linkType = 1;
    w.write(f);
  });
  w.close();
}

// The lab's port-8989 chat: a broadcast server and a client, small enough to read, and shaped so that
// what a learner captures on `lo` looks like the lab report: the three-way handshake, "Hey" as one
// 3-byte PSH/ACK segment, and (in lab mode) a teardown that the server starts.
//
// Framing. The lab's Python client sends the bare message bytes, one send() per typed line and no
// newline; netcat and telnet send newline-terminated lines. The server accepts both: a message ends
// at a newline, or, for bytes without one, when the sender pauses (no more bytes for
// bareMessageIdleMs) or half-closes. Two bare messages sent back-to-back without a pause can arrive in
// one read and then read as one message; that is inherent in sending bare bytes over a stream, which
// is why tcpwatch's own client paces bare messages (messageGapMs) or can send lines instead.
// A client that vanishes mid-message: on a reset the unfinished bytes are dropped and the leave says
// so; but when the last bytes and the RST arrive in the same poll, libuv reports an orderly end of
// stream, and those bytes are then delivered like any bare message ended by a half-close.

import { connect, createServer, Server, Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { isUnsafeCodePoint, sanitizeLines } from '../output/sanitize';

export const DEFAULT_CHAT_PORT = 8989;
export const DEFAULT_MAX_MESSAGE_BYTES = 4096;
export const DEFAULT_BARE_MESSAGE_IDLE_MS = 15;
export const DEFAULT_LAB_REPLY = 'Hi';

const LF = 0x0a;
const CR = 0x0d;
// A peer that does not read must not make the server buffer without bound.
const MAX_PEER_BACKLOG_BYTES = 256 * 1024;

export interface ChatServerOptions {
  host?: string;
  port?: number;
  /** Longest message in bytes (without its newline); longer ones are refused with a message to the sender. */
  maxMessageBytes?: number;
  /** How long a message without a newline may wait for more bytes before it counts as complete. */
  bareMessageIdleMs?: number;
  /** Lab mode: answer a client's first message with replyText, then close that connection (server FIN first). */
  closeAfterReply?: boolean;
  replyText?: string;
  maxClients?: number;
  /** Server-side events, one line each, for the CLI to print; message text in them has been validated. */
  log?: (line: string) => void;
}

export interface ChatServer {
  host: string;
  port: number;
  clientCount(): number;
  close(): Promise<void>;
}

interface Peer {
  socket: Socket;
  name: string;
  pending: Buffer[];
  pendingBytes: number;
  // Set once a message has exceeded the limit: its remaining bytes are counted, not kept.
  overlong: boolean;
  overlongBytes: number;
  idleTimer: NodeJS.Timeout | null;
  replied: boolean;
  leaveReason: string;
}

/** Byte offset of the first byte that breaks UTF-8 (RFC 3629 §4), or -1 if the whole buffer is valid. */
export function firstInvalidUtf8Offset(buf: Buffer): number {
  let i = 0;
  const n = buf.length;
  while (i < n) {
    const b0 = buf[i];
    if (b0 < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min2 = 0x80;
    let max2 = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) need = 1;
    else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      if (b0 === 0xe0) min2 = 0xa0; // overlong
      if (b0 === 0xed) max2 = 0x9f; // UTF-16 surrogates
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      if (b0 === 0xf0) min2 = 0x90; // overlong
      if (b0 === 0xf4) max2 = 0x8f; // above U+10FFFF
    } else return i;
    if (i + need >= n) return i; // truncated sequence
    const b1 = buf[i + 1];
    if (b1 < min2 || b1 > max2) return i;
    for (let k = 2; k <= need; k++) {
      const bk = buf[i + k];
      if (bk < 0x80 || bk > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * The first character other than TAB that could drive or deceive a peer's terminal, as "U+001B":
 * C0/C1 controls, and the invisible format characters (bidi overrides and isolates, zero-width
 * spaces and joiners) that the sanitizer escapes too. Null when the text has none.
 */
function firstUnsafeCharacter(text: string): { codePoint: string; index: number; kind: string } | null {
  for (let i = 0; i < text.length; i++) {
    const c = text.codePointAt(i)!;
    if (c !== 0x09 && isUnsafeCodePoint(c)) {
      const control = c < 0x20 || (c >= 0x7f && c <= 0x9f);
      return { codePoint: 'U+' + c.toString(16).toUpperCase().padStart(4, '0'), index: i, kind: control ? 'control character' : 'invisible format character' };
    }
    if (c > 0xffff) i++;
  }
  return null;
}

function sendTo(peer: Peer, text: string): void {
  const s = peer.socket;
  if (s.destroyed || !s.writable) return;
  if (s.writableLength > MAX_PEER_BACKLOG_BYTES) {
    peer.leaveReason = 'not reading; disconnected';
    s.destroy();
    return;
  }
  s.write(text);
}

export function startChatServer(opts: ChatServerOptions = {}): Promise<ChatServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? DEFAULT_CHAT_PORT;
  const maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const idleMs = opts.bareMessageIdleMs ?? DEFAULT_BARE_MESSAGE_IDLE_MS;
  const closeAfterReply = opts.closeAfterReply ?? false;
  const replyText = opts.replyText ?? DEFAULT_LAB_REPLY;
  const maxClients = opts.maxClients ?? 64;
  const log = opts.log ?? (() => {});
  const peers = new Set<Peer>();

  const broadcast = (from: Peer | null, text: string) => {
    for (const p of peers) if (p !== from) sendTo(p, text);
  };

  const resetPending = (peer: Peer) => {
    peer.pending = [];
    peer.pendingBytes = 0;
    peer.overlong = false;
    peer.overlongBytes = 0;
  };

  const endMessage = (peer: Peer) => {
    if (peer.idleTimer) {
      clearTimeout(peer.idleTimer);
      peer.idleTimer = null;
    }
    if (peer.overlong) {
      log(`${peer.name}: refused a ${peer.overlongBytes}-byte message (limit ${maxMessageBytes})`);
      resetPending(peer);
      return; // the sender was told when the limit was crossed
    }
    let msg = peer.pending.length === 1 ? peer.pending[0] : Buffer.concat(peer.pending, peer.pendingBytes);
    resetPending(peer);
    if (msg.length > 0 && msg[msg.length - 1] === CR) msg = msg.subarray(0, msg.length - 1); // telnet, nc -C
    if (msg.length === 0 || peer.replied) return;
    const bad = firstInvalidUtf8Offset(msg);
    if (bad >= 0) {
      const hex = msg[bad].toString(16).padStart(2, '0');
      sendTo(peer, `* message not delivered: it is not valid UTF-8 (byte 0x${hex} at offset ${bad}); send UTF-8 text\n`);
      log(`${peer.name}: refused a message that is not valid UTF-8 (byte 0x${hex} at offset ${bad})`);
      return;
    }
    const text = msg.toString('utf8');
    const unsafe = firstUnsafeCharacter(text);
    if (unsafe) {
      sendTo(peer, `* message not delivered: it contains the ${unsafe.kind} ${unsafe.codePoint} at character ${unsafe.index}\n`);
      log(`${peer.name}: refused a message with ${unsafe.kind} ${unsafe.codePoint}`);
      return;
    }
    log(`${peer.name}: ${text}`);
    broadcast(peer, `${peer.name}: ${text}\n`);
    if (closeAfterReply) {
      peer.replied = true;
      sendTo(peer, replyText + '\n');
      peer.socket.end(); // the server's FIN comes first, as in the lab capture
    }
  };

  const appendBytes = (peer: Peer, bytes: Buffer) => {
    if (bytes.length === 0) return;
    if (peer.overlong) {
      peer.overlongBytes += bytes.length;
      return;
    }
    if (peer.pendingBytes + bytes.length > maxMessageBytes) {
      peer.overlong = true;
      peer.overlongBytes = peer.pendingBytes + bytes.length;
      peer.pending = [];
      peer.pendingBytes = 0;
      sendTo(peer, `* message not delivered: longer than ${maxMessageBytes} bytes; the rest of it is ignored\n`);
      return;
    }
    peer.pending.push(bytes);
    peer.pendingBytes += bytes.length;
  };

  const onData = (peer: Peer, chunk: Buffer) => {
    if (peer.idleTimer) {
      clearTimeout(peer.idleTimer);
      peer.idleTimer = null;
    }
    let start = 0;
    for (let lf = chunk.indexOf(LF, start); lf >= 0; lf = chunk.indexOf(LF, start)) {
      appendBytes(peer, chunk.subarray(start, lf));
      endMessage(peer);
      start = lf + 1;
    }
    if (start < chunk.length) {
      appendBytes(peer, chunk.subarray(start));
      peer.idleTimer = setTimeout(() => endMessage(peer), idleMs);
    }
  };

  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    const name = `${socket.remoteAddress}:${socket.remotePort}`;
    if (peers.size >= maxClients) {
      socket.on('error', () => {});
      socket.end(`* server full (${maxClients} clients); try again later\n`);
      log(`${name}: refused, server full`);
      return;
    }
    const peer: Peer = {
      socket,
      name,
      pending: [],
      pendingBytes: 0,
      overlong: false,
      overlongBytes: 0,
      idleTimer: null,
      replied: false,
      leaveReason: '',
    };
    peers.add(peer);
    log(`${name} joined (${peers.size} online)`);
    broadcast(peer, `* ${name} joined (${peers.size} online)\n`);

    socket.on('data', (chunk: Buffer) => onData(peer, chunk));
    socket.on('end', () => {
      // A half-close ends a bare message: the sender has said all it will say.
      if (peer.pendingBytes > 0 || peer.overlong) endMessage(peer);
      socket.end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      peer.leaveReason = err.code === 'ECONNRESET' ? 'connection reset' : (err.code ?? err.message);
    });
    socket.on('close', () => {
      if (peer.idleTimer) clearTimeout(peer.idleTimer);
      let reason = peer.leaveReason;
      const dropped = peer.overlong ? peer.overlongBytes : peer.pendingBytes;
      if (dropped > 0) reason = `${reason ? reason + '; ' : ''}an unfinished message of ${dropped} bytes was dropped`;
      resetPending(peer);
      peers.delete(peer);
      const suffix = reason ? `, ${reason}` : '';
      log(`${name} left (${peers.size} online${suffix})`);
      broadcast(null, `* ${name} left (${peers.size} online${suffix})\n`);
    });
  });

  return new Promise<ChatServer>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', (err) => log(`server error: ${err.message}`));
      const address = server.address();
      const boundPort = typeof address === 'object' && address ? address.port : port;
      let closing: Promise<void> | null = null;
      resolve({
        host,
        port: boundPort,
        clientCount: () => peers.size,
        close(): Promise<void> {
          if (!closing) {
            closing = new Promise<void>((done) => {
              server.close(() => done());
              for (const p of peers) p.socket.destroy();
            });
          }
          return closing;
        },
      });
    });
  });
}

export interface ChatClientOptions {
  host?: string;
  port?: number;
  input: Readable;
  output: Writable;
  /** "bare" sends the message bytes alone, as the lab's Python client does; "line" appends a newline. */
  framing?: 'bare' | 'line';
  /** Minimum pause between two bare messages, so the server sees them as two (see the framing note above). */
  messageGapMs?: number;
  connectTimeoutMs?: number;
  /** After our FIN, how long to wait for the server's before giving up on a clean close. */
  closeTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function runChatClient(opts: ChatClientOptions): Promise<void> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? DEFAULT_CHAT_PORT;
  const framing = opts.framing ?? 'bare';
  const gapMs = opts.messageGapMs ?? (framing === 'bare' ? DEFAULT_BARE_MESSAGE_IDLE_MS * 4 : 0);
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
  const closeTimeoutMs = opts.closeTimeoutMs ?? 2000;
  const out = opts.output;

  return new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port, allowHalfOpen: true, noDelay: true });
    const decoder = new StringDecoder('utf8');
    let connected = false;
    let weClosed = false;
    let serverClosed = false;
    let lastSendAt = 0;
    const queue: string[] = [];
    let pumping = false;
    let closeTimer: NodeJS.Timeout | null = null;
    let rl: ReturnType<typeof createInterface> | null = null;

    const connectTimer = setTimeout(() => socket.destroy(new Error(`could not connect to ${host}:${port} within ${connectTimeoutMs} ms`)), connectTimeoutMs);

    const stopInput = () => {
      if (rl) {
        rl.close();
        rl = null;
      }
    };

    const closeOurSide = () => {
      if (weClosed) return;
      weClosed = true;
      stopInput();
      out.write('* closing connection\n');
      socket.end(); // FIN
      closeTimer = setTimeout(() => socket.destroy(), closeTimeoutMs);
    };

    const pump = async () => {
      if (pumping) return;
      pumping = true;
      while (queue.length > 0 && !weClosed && !socket.destroyed) {
        const line = queue.shift()!;
        if (line === '') {
          closeOurSide();
          break;
        }
        const wait = lastSendAt + gapMs - Date.now();
        if (wait > 0) await sleep(wait);
        if (weClosed || socket.destroyed) break;
        // One write per message so "Hey" leaves as a single 3-byte segment.
        socket.write(framing === 'line' ? line + '\n' : line);
        lastSendAt = Date.now();
      }
      pumping = false;
    };

    socket.on('connect', () => {
      connected = true;
      clearTimeout(connectTimer);
      out.write(`* connected to ${host}:${port}; type a message and press Enter, an empty line closes\n`);
      rl = createInterface({ input: opts.input, crlfDelay: Infinity, terminal: false });
      rl.on('line', (line) => {
        queue.push(line);
        void pump();
      });
      // End of input closes like an empty line would, once queued messages are out.
      rl.on('close', () => {
        if (rl !== null) {
          rl = null;
          queue.push('');
          void pump();
        }
      });
    });
    socket.on('data', (chunk: Buffer) => out.write(sanitizeLines(decoder.write(chunk))));
    socket.on('end', () => {
      serverClosed = true;
      const rest = decoder.end();
      if (rest) out.write(sanitizeLines(rest));
      if (!weClosed) out.write('* the server closed the connection\n');
      queue.length = 0;
      weClosed = true;
      stopInput();
      socket.end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      if (!connected) {
        reject(new Error(`cannot connect to ${host}:${port}: ${err.code ?? err.message}`));
        return;
      }
      out.write(`* connection error: ${err.code ?? err.message}\n`);
    });
    socket.on('close', () => {
      clearTimeout(connectTimer);
      if (closeTimer) clearTimeout(closeTimer);
      stopInput();
      if (!connected) return; // the error handler rejected
      if (!serverClosed && !weClosed) out.write('* connection lost\n');
      resolve();
    });
  });
}

export interface LabChatExchangeOptions {
  host?: string;
  port?: number;
  message?: string;
  /** Pause between the server's FIN and ours, so the capture shows the client's ACK of that FIN on its own
   * (Linux delays that ACK by 40 to 200 ms). */
  closeDelayMs?: number;
  /** If the server has not closed by then (not in lab mode), the client closes instead. */
  serverCloseTimeoutMs?: number;
}

export interface LabChatExchangeResult {
  reply: string;
  serverClosedFirst: boolean;
}

/**
 * The scripted half of the lab: connect, send "Hey" as one segment, read the answer, and let the
 * server close first (server FIN/ACK, client ACK, client FIN/ACK, final ACK). Pair it with a server
 * started with closeAfterReply.
 */
export function runLabChatExchange(opts: LabChatExchangeOptions = {}): Promise<LabChatExchangeResult> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? DEFAULT_CHAT_PORT;
  const message = opts.message ?? 'Hey';
  const closeDelayMs = opts.closeDelayMs ?? 250;
  const serverCloseTimeoutMs = opts.serverCloseTimeoutMs ?? 3000;

  return new Promise<LabChatExchangeResult>((resolve, reject) => {
    const socket = connect({ host, port, allowHalfOpen: true, noDelay: true });
    const decoder = new StringDecoder('utf8');
    let reply = '';
    let serverClosedFirst = false;
    let weClosed = false;
    let failed: Error | null = null;
    const timers: NodeJS.Timeout[] = [];

    const closeOurSide = () => {
      if (weClosed) return;
      weClosed = true;
      socket.end();
      timers.push(setTimeout(() => socket.destroy(), serverCloseTimeoutMs));
    };

    socket.on('connect', () => {
      socket.write(message);
      timers.push(setTimeout(closeOurSide, serverCloseTimeoutMs));
    });
    socket.on('data', (chunk: Buffer) => {
      reply += decoder.write(chunk);
    });
    socket.on('end', () => {
      reply += decoder.end();
      if (!weClosed) serverClosedFirst = true;
      timers.push(setTimeout(closeOurSide, closeDelayMs));
    });
    socket.on('error', (err) => {
      failed = err;
    });
    socket.on('close', () => {
      for (const t of timers) clearTimeout(t);
      if (failed) reject(new Error(`lab chat exchange with ${host}:${port} failed: ${(failed as NodeJS.ErrnoException).code ?? failed.message}`));
      else resolve({ reply: reply.replace(/\n$/, ''), serverClosedFirst });
    });
  });
}

// The TCP conversation table of a capture as the analysis stage saw it (Wireshark's Statistics ›
// Conversations, TCP tab, plus the connection state): one row per tcp.stream, built on demand from
// TcpStreamTable's per-connection counters. Rows are made only when someone asks for the table;
// the counters themselves are kept by the analyzer as segments go by.

import { TcpStreamTable, TcpConversation } from './streams';
import { TcpState } from './tcp-analysis';
import { ipv4At, ipv6At } from '../fields/format';

export interface TcpConversationRow {
  stream: number;
  /** The side that opened the connection (sent the SYN, or the first segment seen). */
  clientAddress: string;
  clientPort: number;
  serverAddress: string;
  serverPort: number;
  /** Packets and frame bytes (frame.len) each way, and TCP payload bytes each way. */
  packetsToServer: number;
  bytesToServer: number;
  payloadToServer: number;
  packetsToClient: number;
  bytesToClient: number;
  payloadToClient: number;
  firstFrame: number;
  lastFrame: number;
  /** Capture time of the first and last segment, seconds since the epoch (with fractions). */
  start: number;
  end: number;
  /** Seconds from the first to the last segment (to the nanosecond). */
  duration: number;
  /** TcpState bits, and their reading in words. */
  state: number;
  stateText: string;
}

/** The connection state in the words of RFC 9293's state names where they fit. */
export function tcpStateText(state: number): string {
  if (state & TcpState.Reset) return 'reset';
  if (state & TcpState.Closed) return 'closed';
  const finC = (state & TcpState.FinFromClient) !== 0, finS = (state & TcpState.FinFromServer) !== 0;
  if (finC && finS) return 'closing (both sides sent FIN)';
  if (finC) return 'half-closed (client sent FIN)';
  if (finS) return 'half-closed (server sent FIN)';
  if (state & TcpState.Established) return state & TcpState.Data ? 'established, data' : 'established';
  if (state & TcpState.SynAckSeen) return 'SYN/ACK seen (handshake step 2)';
  if (state & TcpState.SynSeen) return 'SYN sent (handshake step 1)';
  return state & TcpState.Data ? 'data (handshake not captured)' : 'no handshake captured';
}

function addressText(table: TcpStreamTable, conv: TcpConversation, sideB: boolean): string {
  const a = Buffer.from(table.address(conv, sideB));
  return conv.ipVersion === 6 ? ipv6At(a, 0) : ipv4At(a, 0);
}

export function conversationRow(table: TcpStreamTable, conv: TcpConversation): TcpConversationRow {
  const c = conv.client, s = conv.server;
  return {
    stream: conv.index,
    clientAddress: addressText(table, conv, false),
    clientPort: conv.portA,
    serverAddress: addressText(table, conv, true),
    serverPort: conv.portB,
    packetsToServer: c.packets,
    bytesToServer: c.bytes,
    payloadToServer: c.payloadBytes,
    packetsToClient: s.packets,
    bytesToClient: s.bytes,
    payloadToClient: s.payloadBytes,
    firstFrame: conv.firstFrame,
    lastFrame: conv.lastFrame,
    start: conv.firstSec + conv.firstNsec / 1e9,
    end: conv.lastSec + conv.lastNsec / 1e9,
    duration: (conv.lastSec - conv.firstSec) + (conv.lastNsec - conv.firstNsec) / 1e9,
    state: conv.state,
    stateText: tcpStateText(conv.state),
  };
}

/** All conversations so far, in tcp.stream order. */
export function conversationTable(table: TcpStreamTable): TcpConversationRow[] {
  return table.conversations.map((conv) => conversationRow(table, conv));
}

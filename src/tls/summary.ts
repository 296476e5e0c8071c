// The Protocol and Info columns of a TLS frame, as tshark 4.0 fills them: the version name
// (`TLSv1.2`, `TLSv1.3`, `SSLv3` …, or `SSL` before the version is known) and the records' messages
// joined with ", " (`Server Hello, Change Cipher Spec, Application Data`). A segment that only
// starts or continues a record shows "[TCP segment of a reassembled PDU]" under TCP, as tshark does.

import { Dissection } from '../decode/dissection';
import { registerAppSummary, tcpAnalysisPrefix, tcpInfo } from '../output/summary';
import { InfoKind, SegmentRole, TlsInfo } from './tls-info';
import { REASSEMBLED_PDU } from '../analysis/pdu-frame';
import { tunnelPrefix } from '../decode/protocol-registry';
import { SSL2_MSG_NAMES, versionShortName } from './records';
import { decryptInfoOf } from './decrypt-info';
import { ALERT_DESC_NAMES, ALERT_LEVEL_NAMES, HANDSHAKE_NAMES } from './handshake';

/** The messages of the frame's records as the Info column lists them. */
export function tlsInfoText(t: TlsInfo): string {
  let s = '';
  for (let k = 0; k < t.infoCount; k++) s += (s ? ', ' : '') + tlsInfoWord(t.infoKind[k] as InfoKind, t.infoValue[k]);
  return s;
}

/** One item of the Info column: a record's or message's words. */
export function tlsInfoWord(kind: InfoKind, v: number): string {
  switch (kind) {
    case InfoKind.Handshake: return HANDSHAKE_NAMES[v] ?? 'Encrypted Handshake Message';
    case InfoKind.HelloRetryRequest: return 'Hello Retry Request';
    case InfoKind.EncryptedHandshake: return 'Encrypted Handshake Message';
    case InfoKind.HandshakeFragment: return `[${HANDSHAKE_NAMES[v] ?? 'Encrypted Handshake Message'} Fragment]`;
    case InfoKind.ChangeCipherSpec: return 'Change Cipher Spec';
    case InfoKind.ApplicationData: return 'Application Data';
    case InfoKind.Alert: return `Alert (Level: ${ALERT_LEVEL_NAMES[v >> 8] ?? 'Unknown'}, Description: ${ALERT_DESC_NAMES[v & 255] ?? 'Unknown'})`;
    case InfoKind.EncryptedAlert: return 'Encrypted Alert';
    case InfoKind.Heartbeat: return `Heartbeat ${v === 1 ? 'Request' : 'Response'}`;
    case InfoKind.EncryptedHeartbeat: return 'Encrypted Heartbeat';
    case InfoKind.ContinuationData: return 'Continuation Data';
    case InfoKind.IgnoredUnknownRecord: return 'Ignored Unknown Record';
    case InfoKind.Ssl2Message: return SSL2_MSG_NAMES[v] ?? 'Unknown';
    case InfoKind.Ssl2EncryptedData: return 'Encrypted Data';
    default: return '';
  }
}

export function tlsSummary(d: Dissection): { protocol: string; info: string } | null {
  const t = d.tls;
  switch (t.role) {
    case SegmentRole.Tls: {
      const prefix = tcpAnalysisPrefix(d);
      const dec = decryptInfoOf(d);
      if (dec.columnProtocol !== '') return { protocol: dec.columnProtocol, info: prefix && dec.columnInfo ? prefix + ', ' + dec.columnInfo : prefix + dec.columnInfo };
      const words = tlsInfoText(t);
      // tshark keeps TCP's expert prefix and appends the TLS words with its ", " separator.
      return { protocol: versionShortName(t.protoVersion) ?? 'SSL', info: prefix && words ? prefix + ', ' + words : prefix + words };
    }
    case SegmentRole.PduStart:
    case SegmentRole.PduMiddle: {
      // A tunnel (SOCKS) wrote its own text before TLS saw the bytes; it stays before the mark.
      const tunnel = tunnelPrefix(d);
      if (tunnel !== null) return { protocol: 'TCP', info: tunnel + REASSEMBLED_PDU };
      return t.role === SegmentRole.PduStart
        ? { protocol: 'TCP', info: tcpAnalysisPrefix(d) + REASSEMBLED_PDU }
        : { protocol: 'TCP', info: tcpInfo(d) + ' ' + REASSEMBLED_PDU };
    }
    default:
      return null;
  }
}

registerAppSummary(tlsSummary);

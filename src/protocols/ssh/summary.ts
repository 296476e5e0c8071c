// The Protocol and Info columns of an SSH frame as tshark 4.0 fills them (packet-ssh.c): the
// version the conversation had when the frame began (`SSH` before the client's identification
// string, then `SSHv1` or `SSHv2`), and the frame's messages joined with ", " behind "Client: " or
// "Server: ". A segment that only starts, or only continues, a longer PDU reads as TCP's
// "[TCP segment of a reassembled PDU]", as tshark's TCP reassembly shows it.

import { Dissection } from '../../decode/dissection';
import { printableAsciiText } from '../../fields/format';
import { registerAppSummary, tcpAnalysisPrefix, tcpInfo } from '../../output/summary';
import { analysedLayer } from './analyzer';
import { ItemKind, Role, SshLayer } from './layer';
import { messageName, NameTable } from './wire';

const REASSEMBLED = '[TCP segment of a reassembled PDU]';
const VERSION_LABELS = ['SSH', 'SSHv1', 'SSHv2'];

/** The words one part of the frame adds to Info ('' for encrypted bytes tshark trial-decrypts). */
function itemWords(d: Dissection, layer: SshLayer, i: number): string {
  const code = layer.code[i];
  switch (layer.kind[i] as ItemKind) {
    case ItemKind.Banner: return `Protocol (${printableAsciiText(d.buf, layer.start[i], layer.aux[i])})`;
    case ItemKind.Packet2: return messageName(layer.table[i] as NameTable, code);
    case ItemKind.Packet1:
      return code >= 0 ? messageName(NameTable.Ssh1, code) : `Encrypted packet (len=${layer.aux[i]})`;
    case ItemKind.Encrypted: return `Encrypted packet (len=${layer.aux[i]})`;
    case ItemKind.TrialDecrypted: return '';
    case ItemKind.Continuation:
      if (code >= 0) return messageName(layer.table[i] as NameTable, code);
      return layer.table[i] === NameTable.Ssh1 ? `Encrypted packet (len=${layer.aux[i]})` : '';
    default: return '';
  }
}

export function sshWords(d: Dissection, layer: SshLayer): string {
  let s = '';
  for (let i = 0; i < layer.count; i++) {
    const w = itemWords(d, layer, i);
    if (w) s += (s ? ', ' : '') + w;
  }
  return s;
}

export function sshSummary(d: Dissection): { protocol: string; info: string } | null {
  const layer = analysedLayer(d);
  if (layer === null) return null;
  switch (layer.role) {
    case Role.Ssh: {
      const who = layer.aborted ? '' : layer.server ? 'Server: ' : 'Client: ';
      return { protocol: VERSION_LABELS[layer.version], info: tcpAnalysisPrefix(d) + who + sshWords(d, layer) };
    }
    case Role.PduLater:
      return { protocol: VERSION_LABELS[layer.version], info: tcpAnalysisPrefix(d) + sshWords(d, layer) };
    case Role.PduStart:
      return { protocol: 'TCP', info: tcpAnalysisPrefix(d) + REASSEMBLED };
    case Role.PduMiddle:
      return { protocol: 'TCP', info: tcpInfo(d) + ' ' + REASSEMBLED };
    default:
      return null;
  }
}

registerAppSummary(sshSummary);

// tcpwatch's own stream fields (no Wireshark counterpart): the verdict on a TCP stream as it stands
// after this frame, and the entropy of its payload so far (src/reports/verdict.ts). For -T fields,
// JSON and display filters: `tcpwatch.stream.verdict == "encrypted-without-keys"`.

import { Dissection } from '../decode/dissection';
import { defineField, FT } from '../fields/registry';
import { NOT_MEASURED, VERDICT_NAMES, verdictsOf } from './verdict';

function present(d: Dissection): number {
  const st = d.tcp.stream;
  if (d.tcpOff < 0 || st < 0 || d.inIcmpError) return 0;
  const a = verdictsOf(d);
  if (a === undefined || !a.rows.has(st)) return 0;
  a.refresh(st);
  return 1;
}

defineField({
  name: 'tcpwatch.stream.verdict', label: 'Stream verdict', type: FT.String, proto: 'tcpwatch',
  count: present,
  text: (d) => VERDICT_NAMES[verdictsOf(d)!.rows.verdictOf(d.tcp.stream)],
});

defineField({
  name: 'tcpwatch.stream.protocol', label: 'Stream protocol', type: FT.String, proto: 'tcpwatch',
  count: (d) => (present(d) && verdictsOf(d)!.rows.row(d.tcp.stream)!.protocol !== '' ? 1 : 0),
  text: (d) => verdictsOf(d)!.rows.row(d.tcp.stream)!.protocol,
});

defineField({
  name: 'tcpwatch.stream.entropy', label: 'Stream payload entropy (bits per byte)', type: FT.Double, proto: 'tcpwatch',
  count: (d) => (present(d) && verdictsOf(d)!.rows.entropyAllOf(d.tcp.stream) !== NOT_MEASURED ? 1 : 0),
  num: (d) => Math.round(verdictsOf(d)!.rows.entropyAllOf(d.tcp.stream) * 1000) / 1000,
});

// Prints how tcpwatch's TCP analysis agrees with tshark's on captures (test/helpers/tcp-agreement.ts):
//   node dist/scripts/compare-lossy.js PCAP...
// FIELDS_ONLY=1 skips the filter comparison (one tshark run per filter); TREE=1 adds the SEQ/ACK
// analysis subtree (-T pdml of both).
import { compareAnalysis, agreementTable, compareAnalysisTree } from '../test/helpers/tcp-agreement';

for (const pcap of process.argv.slice(2)) {
  const a = compareAnalysis(pcap, { filters: !process.env.FIELDS_ONLY });
  console.log(agreementTable(pcap, a));
  for (const f of a.fields) for (const d of f.diffs.slice(1)) console.log(`    ${f.name}: ${d}`);
  for (const f of a.filters) for (const d of f.diffs.slice(1)) console.log(`    -Y ${f.filter}: ${d}`);
}
if (process.env.TREE) {
  for (const pcap of process.argv.slice(2)) {
    const t = compareAnalysisTree(pcap);
    console.log(`${pcap}: analysis tree ${t.agree}/${t.frames}`);
    for (const d of t.diffs) console.log(d);
  }
}

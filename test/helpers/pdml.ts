// PDML (tshark -T pdml, and tcpwatch's) read into the shape the tree tests compare: per frame, each
// protocol instance with the depth and name of every visible node under it.

export interface ProtoInstance {
  name: string;
  /** `depth:name` of every visible node under it, nested protocols as one `depth:proto:name` entry. */
  nodes: string[];
}

/** Each frame's protocol instances, in document order (nested ones after the one that holds them). */
export function readPdml(xml: string): ProtoInstance[][] {
  const frames: ProtoInstance[][] = [];
  let frame: ProtoInstance[] = [];
  // The open elements: the protocol instance each belongs to, the depth below it, and whether hidden.
  const stack: { inst: ProtoInstance | null; depth: number; hidden: boolean }[] = [];
  const tag = /<(\/?)(packet|proto|field)\b([^>]*?)(\/?)>/g;
  for (let m = tag.exec(xml); m !== null; m = tag.exec(xml)) {
    const [, closing, kind, attrs, selfClosing] = m;
    if (kind === 'packet') {
      if (closing) frames.push(frame);
      else frame = [];
      continue;
    }
    if (closing) { stack.pop(); continue; }
    const name = /\bname="([^"]*)"/.exec(attrs)?.[1] ?? '';
    const hidden = /\bhide="yes"/.test(attrs) || (stack.length > 0 && stack[stack.length - 1].hidden);
    const parent = stack.length > 0 ? stack[stack.length - 1] : null;
    let entry: { inst: ProtoInstance | null; depth: number; hidden: boolean };
    if (kind === 'proto') {
      const inst: ProtoInstance = { name, nodes: [] };
      if (!hidden && name !== 'geninfo') frame.push(inst);
      if (parent?.inst && !hidden) parent.inst.nodes.push(`${parent.depth}:proto:${name}`);
      entry = { inst, depth: 0, hidden };
    } else {
      if (parent?.inst && !hidden) parent.inst.nodes.push(`${parent.depth}:${name}`);
      entry = { inst: parent?.inst ?? null, depth: (parent?.depth ?? 0) + 1, hidden };
    }
    if (!selfClosing) stack.push(entry);
  }
  return frames;
}


// The names of the interfaces frames come from, by interface id (CapturedFrame.ifIndex): set by a
// live capture on several -i (in -i order) and by the pcapng reader from each Interface Description
// Block's if_name. frame.interface_name reads it. One table per process: a process reads one capture.

const names: string[] = [];
const descriptions: string[] = [];
/** Interfaces a pcapng Interface Description Block (or a live -i) declared, named or not. */
const declared: boolean[] = [];

/** Interface `id` is called `name` (a pcapng IDB's if_name, or an -i argument). */
export function setInterfaceName(id: number, name: string): void {
  names[id] = name;
  declared[id] = true;
}

/** Interface `id` is declared by the capture (a pcapng IDB), whether or not it has a name. */
export function declareInterface(id: number): void {
  declared[id] = true;
}

/** Interface `id`'s if_description. */
export function setInterfaceDescription(id: number, text: string): void {
  descriptions[id] = text;
  declared[id] = true;
}

/** Whether frames of interface `id` come with an interface (pcapng, a live capture on several -i); pcap files have none. */
export function interfaceDeclared(id: number): boolean {
  return declared[id] === true;
}

export function interfaceDescription(id: number): string | undefined {
  return descriptions[id];
}

/** The name of interface `id`, or undefined when the capture gave it none (pcap files, an IDB without if_name). */
export function interfaceName(id: number): string | undefined {
  return names[id];
}

/** How many interfaces the capture declared (ids from 0; a capture on several -i declares each). */
export function declaredInterfaces(): number {
  let n = 0;
  for (const d of declared) if (d === true) n++;
  return n;
}

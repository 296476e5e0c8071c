// Where column text goes. The Info and summary builders write their pieces to a TextWriter, so the
// same code fills a string (the UI's rows, the packet store) and, for headless output, encodes
// straight into the output buffer without building a line per packet.

export interface TextWriter {
  write(s: string): void;
  /** A non-negative whole number in decimal, right-aligned in `width` with spaces (or zeros). */
  writeUInt(n: number, width?: number, zeroPad?: boolean): void;
}

/** A TextWriter that collects a string; one per call, so builders may nest. */
export class StringBuilder implements TextWriter {
  text = '';

  write(s: string): void {
    this.text += s;
  }

  writeUInt(n: number, width = 0, zeroPad = false): void {
    this.text += width > 0 ? String(n).padStart(width, zeroPad ? '0' : ' ') : String(n);
  }
}

/** How many decimal digits a non-negative whole number has. */
export function decimalDigits(n: number): number {
  let digits = 1;
  for (let v = n; v >= 10; v = Math.floor(v / 10)) digits++;
  return digits;
}

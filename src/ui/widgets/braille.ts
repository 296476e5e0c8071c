// A canvas of braille dots: each terminal cell holds 2×4 dots (U+2800–U+28FF), so a plot has four
// times the rows and twice the columns of the cells it covers. Each cell keeps the layer of the most
// important thing drawn in it (higher wins), which decides its colour. Generic: it knows points and
// lines, not packets.

// Dot bits of a braille cell (Unicode's numbering: dots 1-3 and 7 in the left column, 4-6 and 8 in the right).
const DOT_BITS = [
  [0x01, 0x08],
  [0x02, 0x10],
  [0x04, 0x20],
  [0x40, 0x80],
];
const BRAILLE_BASE = 0x2800;

export class BrailleCanvas {
  /** Size in dots. */
  readonly width: number;
  readonly height: number;
  private readonly bits: Uint8Array;
  private readonly layers: Int8Array;

  constructor(readonly cols: number, readonly rows: number) {
    this.width = Math.max(0, cols) * 2;
    this.height = Math.max(0, rows) * 4;
    this.bits = new Uint8Array(Math.max(0, cols * rows));
    this.layers = new Int8Array(Math.max(0, cols * rows)).fill(-1);
  }

  /** Set the dot at (x, y), y counted from the top; outside the canvas nothing happens. */
  dot(x: number, y: number, layer: number): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const cell = (y >> 2) * this.cols + (x >> 1);
    this.bits[cell] |= DOT_BITS[y & 3][x & 1];
    if (layer > this.layers[cell]) this.layers[cell] = layer;
  }

  /** A vertical run of dots at x from y0 to y1 (inclusive, either order). */
  vline(x: number, y0: number, y1: number, layer: number): void {
    const a = Math.round(Math.min(y0, y1)), b = Math.round(Math.max(y0, y1));
    for (let y = Math.max(0, a); y <= Math.min(this.height - 1, b); y++) this.dot(x, y, layer);
  }

  /** A horizontal run of dots at y from x0 to x1 (inclusive). */
  hline(y: number, x0: number, x1: number, layer: number): void {
    const a = Math.round(Math.min(x0, x1)), b = Math.round(Math.max(x0, x1));
    for (let x = Math.max(0, a); x <= Math.min(this.width - 1, b); x++) this.dot(x, y, layer);
  }

  /** The character of cell (col, row): a braille pattern, or a space when it has no dot. */
  char(col: number, row: number): string {
    const b = this.bits[row * this.cols + col];
    return b === 0 ? ' ' : String.fromCharCode(BRAILLE_BASE + b);
  }

  /** The highest layer drawn in the cell, -1 when none. */
  layer(col: number, row: number): number {
    return this.layers[row * this.cols + col];
  }
}

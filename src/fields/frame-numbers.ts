// The number a frame is shown under. A frame keeps its place in the file (d.number, read order) for
// every stage that remembers frames; only what is shown translates it. With -2 -R tshark numbers
// each frame of its first pass after the frames the read filter kept before it (a frame is dissected
// as number kept-so-far + 1, whether it is kept or not), and everything that pass remembers names
// frames by those numbers: a kept frame by the number its second pass shows, a dropped one by the
// number of the next frame kept. frame.number, the No. column and every field naming a frame
// (FT_FRAMENUM) read the same table, so they agree as tshark's do.

/** For each frame number in read order, the number tshark's first pass gave it; null: read order itself. */
let passNumbers: Uint32Array | null = null;

export function setPassNumbers(table: Uint32Array | null): void {
  passNumbers = table;
}

/** The number under which frame `n` (read order) is shown and named. */
export function shownFrameNumber(n: number): number {
  return passNumbers !== null && n > 0 && n < passNumbers.length ? passNumbers[n] : n;
}

/**
 * COCO's compressed RLE string form (pycocotools maskApi.c `rleFrString` / `rleToString`), the
 * one codec behind dataset checks (which must survive malformed strings and flag them) and
 * evaluation (which must refuse them).
 */

/**
 * Decodes a compressed RLE string into run lengths. `strict` throws on a truncated string or a
 * character outside the alphabet; otherwise decoding goes on and a bad run may come out
 * negative, for the caller to flag. Arithmetic (not 32-bit bit operations) keeps huge runs exact.
 */
export function rleCountsFromString(s: string, strict = false): number[] {
  const cnts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0, k = 0, more = true;
    while (more) {
      if (p >= s.length) {
        if (strict) throw new Error("truncated compressed RLE string");
        break;
      }
      const c = s.charCodeAt(p) - 48;
      if (strict && (c < 0 || c > 63)) {
        throw new Error(`invalid character in compressed RLE at ${p}`);
      }
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && (c & 0x10)) x -= 2 ** (5 * k);
    }
    if (cnts.length > 2) x += cnts[cnts.length - 2];
    cnts.push(x);
  }
  return cnts;
}

/** Encodes run lengths into the compressed string form (deltas against the run two back). */
export function rleCountsToString(c: ArrayLike<number>): string {
  const out: number[] = [];
  for (let i = 0; i < c.length; i++) {
    let x = c[i];
    if (i > 2) x -= c[i - 2];
    let more = true;
    while (more) {
      let ch = ((x % 32) + 32) % 32;
      x = Math.floor(x / 32);
      more = (ch & 0x10) ? x !== -1 : x !== 0;
      if (more) ch |= 0x20;
      out.push(ch + 48);
    }
  }
  return String.fromCharCode(...out);
}

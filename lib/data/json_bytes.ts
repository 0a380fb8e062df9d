/**
 * A byte-level JSON cursor. COCO files reach 450 MB and a million objects; reading the fields we
 * need straight from the bytes avoids materialising a JS object per annotation (JSON.parse peaks at
 * several GB on such files). Numbers use the exact fast path (≤ 15 digits, ≤ 22 decimals) and fall
 * back to Number() otherwise, so values are bit-identical to JSON.parse.
 */

const POW10 = [
  1,
  1e1,
  1e2,
  1e3,
  1e4,
  1e5,
  1e6,
  1e7,
  1e8,
  1e9,
  1e10,
  1e11,
  1e12,
  1e13,
  1e14,
  1e15,
  1e16,
  1e17,
  1e18,
  1e19,
  1e20,
  1e21,
  1e22,
];
const utf8 = new TextDecoder("utf-8", { fatal: false });

/** Thrown for malformed JSON; the message names the file, line, column and byte offset. */
export class JsonSyntaxError extends Error {
  constructor(message: string, readonly where: string) {
    super(message);
    this.name = "JsonSyntaxError";
  }
}

/** Reads JSON tokens straight from bytes; `fail` reports line and column. */
export class JsonCursor {
  pos = 0;
  constructor(readonly buf: Uint8Array, readonly source: string) {
    // skip a UTF-8 byte order mark
    if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) this.pos = 3;
  }

  /** Skips whitespace and returns the next byte (-1 at the end). */
  peek(): number {
    const b = this.buf;
    let p = this.pos;
    while (p < b.length) {
      const c = b[p];
      if (c === 32 || c === 10 || c === 13 || c === 9) p++;
      else break;
    }
    this.pos = p;
    return p < b.length ? b[p] : -1;
  }

  /** Consumes `ch` (after whitespace) or fails. */
  expect(ch: number, what: string): void {
    if (this.peek() !== ch) this.fail(`expected ${what}`);
    this.pos++;
  }

  /**
   * After a value inside an object/array: consumes `,` and returns true, or consumes the closing
   * bracket and returns false.
   */
  more(close: number): boolean {
    const c = this.peek();
    if (c === 44) {
      this.pos++;
      return true;
    }
    if (c === close) {
      this.pos++;
      return false;
    }
    this.fail(`expected ',' or '${String.fromCharCode(close)}'`);
  }

  /** Opens an object/array; returns false (and consumes the close) when it is empty. */
  open(ch: number): boolean {
    this.expect(ch, `'${String.fromCharCode(ch)}'`);
    const close = ch === 123 ? 125 : 93;
    if (this.peek() === close) {
      this.pos++;
      return false;
    }
    return true;
  }

  /**
   * Reads an object key and the `:` after it, returning the index of the key in `keys` (byte
   * arrays) or -1. No string is allocated for the key.
   */
  key(keys: Uint8Array[]): number {
    if (this.peek() !== 34) this.fail("expected a string key");
    const b = this.buf;
    const start = this.pos + 1;
    let p = start;
    while (p < b.length && b[p] !== 34) p += b[p] === 92 ? 2 : 1;
    if (p >= b.length) this.fail("unterminated string");
    const len = p - start;
    let found = -1;
    for (let k = 0; k < keys.length; k++) {
      const kk = keys[k];
      if (kk.length !== len) continue;
      let i = 0;
      while (i < len && kk[i] === b[start + i]) i++;
      if (i === len) {
        found = k;
        break;
      }
    }
    this.pos = p + 1;
    this.expect(58, "':'");
    return found;
  }

  /** Reads a string value (full JSON escapes and UTF-8 supported). */
  string(): string {
    if (this.peek() !== 34) this.fail("expected a string");
    const b = this.buf;
    const start = this.pos + 1;
    let p = start;
    let plain = true;
    while (p < b.length) {
      const c = b[p];
      if (c === 34) break;
      if (c === 92) {
        plain = false;
        p += 2;
        continue;
      }
      if (c >= 128) plain = false;
      p++;
    }
    if (p >= b.length) this.fail("unterminated string");
    this.pos = p + 1;
    if (plain && p - start < 4096) {
      return String.fromCharCode.apply(null, b.subarray(start, p) as unknown as number[]);
    }
    const text = utf8.decode(b.subarray(start - 1, p + 1));
    try {
      return JSON.parse(text);
    } catch {
      this.pos = start - 1;
      this.fail("invalid string escape");
    }
  }

  /** Reads a number. */
  number(): number {
    const b = this.buf;
    let p = this.pos;
    const start = p;
    let neg = false;
    if (b[p] === 45) {
      neg = true;
      p++;
    }
    let c = b[p];
    if (!(c >= 48 && c <= 57)) this.fail("expected a number");
    let mant = 0;
    let digits = 0;
    while (c >= 48 && c <= 57) {
      mant = mant * 10 + (c - 48);
      digits++;
      c = b[++p];
    }
    let scale = 0;
    if (c === 46) {
      c = b[++p];
      if (!(c >= 48 && c <= 57)) {
        this.pos = p;
        this.fail("expected a digit after '.'");
      }
      while (c >= 48 && c <= 57) {
        mant = mant * 10 + (c - 48);
        digits++;
        scale++;
        c = b[++p];
      }
    }
    if (c === 101 || c === 69) {
      c = b[++p];
      if (c === 43 || c === 45) c = b[++p];
      if (!(c >= 48 && c <= 57)) {
        this.pos = p;
        this.fail("expected a digit in the exponent");
      }
      while (c >= 48 && c <= 57) c = b[++p];
      this.pos = p;
      return Number(String.fromCharCode.apply(null, b.subarray(start, p) as unknown as number[]));
    }
    this.pos = p;
    if (digits > 15 || scale > 22) {
      return Number(String.fromCharCode.apply(null, b.subarray(start, p) as unknown as number[]));
    }
    const v = scale === 0 ? mant : mant / POW10[scale];
    return neg ? -v : v;
  }

  /**
   * Reads a value expected to be numeric. Anything else (a string "12", null, an object) is
   * skipped and gives NaN, so the caller reports the wrong type: Python's COCO tools would not
   * match a string id with an integer one. `true`/`false` count as 1/0 only when `bools` is set.
   */
  numberish(bools = false): number {
    const c = this.peek();
    if (c === 45 || (c >= 48 && c <= 57)) return this.number();
    if (bools && (c === 116 || c === 102)) {
      this.skip();
      return c === 116 ? 1 : 0;
    }
    this.skip();
    return NaN;
  }

  /**
   * Reads an array of x,y coordinates (a COCO polygon) in one tight loop, folding the extent into
   * `ext` = [minX, minY, maxX, maxY]. Returns the number of values, or -1 if any is not a number.
   */
  coords(ext: Float64Array): number {
    const b = this.buf;
    this.expect(91, "'['");
    let n = 0;
    let bad = false;
    let p = this.pos;
    let minX = ext[0], minY = ext[1], maxX = ext[2], maxY = ext[3];
    while (b[p] === 32 || b[p] === 10 || b[p] === 13 || b[p] === 9) p++;
    if (b[p] === 93) {
      this.pos = p + 1;
      return 0;
    }
    while (true) {
      while (b[p] === 32 || b[p] === 10 || b[p] === 13 || b[p] === 9) p++;
      let c = b[p];
      let v: number;
      const start = p;
      let neg = false;
      if (c === 45) {
        neg = true;
        c = b[++p];
      }
      if (c >= 48 && c <= 57) {
        let mant = 0, digits = 0, scale = 0;
        while (c >= 48 && c <= 57) {
          mant = mant * 10 + (c - 48);
          digits++;
          c = b[++p];
        }
        if (c === 46) {
          c = b[++p];
          while (c >= 48 && c <= 57) {
            mant = mant * 10 + (c - 48);
            digits++;
            scale++;
            c = b[++p];
          }
        }
        if (c === 101 || c === 69 || digits > 15 || scale > 22 || b[p - 1] === 46) {
          this.pos = start;
          v = this.number();
          p = this.pos;
        } else {
          v = scale === 0 ? mant : mant / POW10[scale];
          if (neg) v = -v;
        }
      } else {
        this.pos = start;
        v = this.numberish();
        p = this.pos;
        if (!Number.isFinite(v)) bad = true;
      }
      if (n & 1) {
        if (v < minY) minY = v;
        if (v > maxY) maxY = v;
      } else {
        if (v < minX) minX = v;
        if (v > maxX) maxX = v;
      }
      n++;
      while (b[p] === 32 || b[p] === 10 || b[p] === 13 || b[p] === 9) p++;
      if (b[p] === 44) {
        p++;
        continue;
      }
      if (b[p] === 93) {
        p++;
        break;
      }
      this.pos = p;
      this.fail("expected ',' or ']'");
    }
    this.pos = p;
    ext[0] = minX;
    ext[1] = minY;
    ext[2] = maxX;
    ext[3] = maxY;
    return bad ? -1 : n;
  }

  /** Skips any value. */
  skip(): void {
    const b = this.buf;
    const c = this.peek();
    if (c === 34) {
      let p = this.pos + 1;
      while (p < b.length && b[p] !== 34) p += b[p] === 92 ? 2 : 1;
      if (p >= b.length) this.fail("unterminated string");
      this.pos = p + 1;
      return;
    }
    if (c === 123 || c === 91) {
      let depth = 0;
      let p = this.pos;
      while (p < b.length) {
        const d = b[p];
        if (d === 34) {
          p++;
          while (p < b.length && b[p] !== 34) p += b[p] === 92 ? 2 : 1;
        } else if (d === 123 || d === 91) depth++;
        else if (d === 125 || d === 93) {
          depth--;
          if (depth === 0) {
            this.pos = p + 1;
            return;
          }
        }
        p++;
      }
      this.pos = b.length;
      this.fail(`unterminated ${c === 123 ? "object" : "array"}`);
    }
    if (c === 45 || (c >= 48 && c <= 57)) {
      this.number();
      return;
    }
    if (this.word("true") || this.word("false") || this.word("null")) return;
    this.fail(c === -1 ? "unexpected end of file" : "unexpected character");
  }

  /** True (and consumed) when the next token is the literal `w`. */
  word(w: string): boolean {
    const b = this.buf;
    const p = this.pos;
    for (let i = 0; i < w.length; i++) if (b[p + i] !== w.charCodeAt(i)) return false;
    this.pos = p + w.length;
    return true;
  }

  /** Parses the next value with JSON.parse (for small, rarely used parts such as categories). */
  value(): unknown {
    this.peek();
    const start = this.pos;
    this.skip();
    return JSON.parse(utf8.decode(this.buf.subarray(start, this.pos)));
  }

  /** Line/column of a byte offset, computed only when reporting. */
  where(offset = this.pos): string {
    let line = 1;
    let lineStart = 0;
    const b = this.buf;
    const end = Math.min(offset, b.length);
    for (let i = 0; i < end; i++) {
      if (b[i] === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    return `line ${line}, column ${end - lineStart + 1} (byte ${offset})`;
  }

  fail(msg: string): never {
    const where = this.where();
    throw new JsonSyntaxError(`${this.source}: invalid JSON at ${where}: ${msg}`, where);
  }
}

/** Encodes key names once for `JsonCursor.key`. */
export function keyTable(...names: string[]): Uint8Array[] {
  const enc = new TextEncoder();
  return names.map((n) => enc.encode(n));
}

/**
 * A minimal protocol-buffers encoder: just what writing ONNX models needs (varints, 64-bit
 * integers, length-delimited strings, bytes and nested messages, packed repeated numbers).
 * Wire format: each field is a key varint (field number << 3 | wire type) then the value.
 */

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

/** Appends protobuf fields to a growing byte buffer. Methods chain. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  /** A raw varint. Negative numbers are written as 64-bit two's complement (10 bytes), as
   * protobuf does for int32/int64 fields. */
  rawVarint(value: number | bigint): this {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error(`varint: ${value} is not a safe integer`);
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
    return this;
  }

  private key(field: number, wire: number): void {
    this.rawVarint((field << 3) | wire);
  }

  /** int32 / int64 / enum / bool field. */
  int(field: number, value: number | bigint): this {
    this.key(field, WIRE_VARINT);
    return this.rawVarint(value);
  }

  float(field: number, value: number): this {
    this.key(field, WIRE_FIXED32);
    this.reserve(4);
    new DataView(this.buf.buffer).setFloat32(this.len, value, true);
    this.len += 4;
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.key(field, WIRE_LEN);
    this.rawVarint(data.length);
    this.reserve(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** A nested message, written by `fill` into its own writer. */
  message(field: number, fill: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    fill(inner);
    return this.bytes(field, inner.finish());
  }

  /** Packed repeated int32/int64 (one length-delimited field of varints). */
  packedInts(field: number, values: ArrayLike<number | bigint>): this {
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) inner.rawVarint(values[i]);
    return this.bytes(field, inner.finish());
  }

  /** Packed repeated float (little-endian f32s). */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const f = Float32Array.from(values);
    return this.bytes(field, new Uint8Array(f.buffer));
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

// An independent reader of AlphaRL delta frames, written from the README's byte layout and
// alpharl/v1/delta.proto, sharing no code with the Java codec: the envelope, CRC32C and the
// Protobuf header are decoded by hand here, the payload by the apache-arrow package.
//
//   node decode-frames.mjs DIR     decodes every DIR/*.bin (one record value each, by name order)
//
// Prints one JSON object: {"frames": [...]}, one entry per file, with the header fields
// (absent fields at their Protobuf default), both checksums as stored and as computed, the
// Arrow schema, and the values as float32 bit patterns (exact, -0.0 included), plus the raw
// 16-bit patterns for bf16/f16 chunks. A frame that fails a check has "error" set.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';

const MAGIC = 'ARLF';
const PREFIX = 12;
const DTYPE = { F32: 1, BF16: 2, F16: 3 };
const ENCODING = { DENSE: 1, SPARSE: 2 };

// CRC32C (Castagnoli), reflected polynomial 0x82F63B78.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32c(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// Minimal Protobuf wire-format reader: varints as BigInt, unknown fields skipped.
class ProtoReader {
  constructor(bytes) {
    this.b = bytes;
    this.pos = 0;
  }
  done() {
    return this.pos >= this.b.length;
  }
  varint() {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.b.length) throw new Error('truncated varint');
      const byte = this.b[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw new Error('varint longer than 10 bytes');
  }
  fixed32() {
    if (this.pos + 4 > this.b.length) throw new Error('truncated fixed32');
    const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 4).getUint32(0, true);
    this.pos += 4;
    return v;
  }
  bytes() {
    const n = Number(this.varint());
    if (this.pos + n > this.b.length) throw new Error('truncated length-delimited field');
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(wireType) {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

const num = (big) => (big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString());
const utf8 = new TextDecoder('utf-8', { fatal: true });

// DeltaChunkHeader (alpharl/v1/delta.proto). Proto3 omits fields at their default (0, false,
// empty), so every field starts at its default.
function decodeHeader(bytes) {
  const h = {
    schema_version: 0, run_id: '', step: 0, tensor_name: '', shape: [], chunk_index: 0, chunk_count: 0,
    element_offset: 0, element_count: 0, encoding: 0, value_dtype: 0, value_count: 0, payload_crc32c: 0, modelled: false,
  };
  const r = new ProtoReader(bytes);
  while (!r.done()) {
    const tag = Number(r.varint());
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case 1: h.schema_version = num(r.varint()); break;
      case 2: h.run_id = utf8.decode(r.bytes()); break;
      case 3: h.step = num(r.varint()); break;
      case 4: h.tensor_name = utf8.decode(r.bytes()); break;
      case 5:
        if (wire === 2) { // packed (what proto3 writers send)
          const p = new ProtoReader(r.bytes());
          while (!p.done()) h.shape.push(num(BigInt.asIntN(64, p.varint())));
        } else {
          h.shape.push(num(BigInt.asIntN(64, r.varint())));
        }
        break;
      case 6: h.chunk_index = num(r.varint()); break;
      case 7: h.chunk_count = num(r.varint()); break;
      case 8: h.element_offset = num(r.varint()); break;
      case 9: h.element_count = num(r.varint()); break;
      case 10: h.encoding = num(r.varint()); break;
      case 11: h.value_dtype = num(r.varint()); break;
      case 12: h.value_count = num(r.varint()); break;
      case 13: h.payload_crc32c = r.fixed32(); break;
      case 14: h.modelled = r.varint() !== 0n; break;
      default: r.skip(wire);
    }
  }
  return h;
}

const scratch = new DataView(new ArrayBuffer(4));

function f32Bits(value) {
  scratch.setFloat32(0, value, true);
  return scratch.getUint32(0, true);
}

// IEEE 754 binary16 to a double (exact), then to float32 bits.
function f16ToF32Bits(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  let v;
  if (exp === 0) v = sign * frac * 2 ** -24;
  else if (exp === 31) v = frac ? NaN : sign * Infinity;
  else v = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  return f32Bits(v);
}

// bfloat16 is the upper half of a float32.
const bf16ToF32Bits = (h) => (h << 16) >>> 0;

function decodeFrame(name, bytes) {
  const out = { file: name, bytes: bytes.length };
  if (bytes.length < PREFIX || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) {
    out.error = 'not a frame: bad magic';
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, false); // big-endian
  const headerCrc = view.getUint32(8, false);
  if (PREFIX + headerLength > bytes.length) {
    out.error = `header length ${headerLength} exceeds the frame`;
    return out;
  }
  const headerBytes = bytes.subarray(PREFIX, PREFIX + headerLength);
  const payload = bytes.subarray(PREFIX + headerLength);
  out.header_length = headerLength;
  out.header_crc = { stored: headerCrc, computed: crc32c(headerBytes) };
  out.header_crc.ok = out.header_crc.stored === out.header_crc.computed;
  if (!out.header_crc.ok) {
    out.error = 'header CRC32C mismatch';
    return out;
  }
  const h = decodeHeader(headerBytes);
  out.header = h;
  out.payload_crc = { stored: h.payload_crc32c, computed: crc32c(payload) };
  out.payload_crc.ok = out.payload_crc.stored === out.payload_crc.computed;
  if (!out.payload_crc.ok) {
    out.error = 'payload CRC32C mismatch';
    return out;
  }

  const table = tableFromIPC(payload);
  out.batches = table.batches.length;
  out.rows = table.numRows;
  out.schema = table.schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable, nulls: table.getChild(f.name).nullCount }));
  const sparse = h.encoding === ENCODING.SPARSE;
  out.indices = sparse ? Array.from(table.getChild('index').toArray()) : null;
  if (h.value_dtype === DTYPE.F32) {
    out.value_bits = Array.from(table.getChild('value').toArray(), f32Bits);
  } else {
    const raw = Array.from(table.getChild('value_bits').toArray(), (s) => s & 0xffff);
    out.raw_bits = raw;
    out.value_bits = raw.map(h.value_dtype === DTYPE.BF16 ? bf16ToF32Bits : f16ToF32Bits);
  }
  return out;
}

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node decode-frames.mjs DIR');
  process.exit(2);
}
const files = readdirSync(dir).filter((f) => f.endsWith('.bin')).sort();
const frames = files.map((f) => {
  try {
    return decodeFrame(f, new Uint8Array(readFileSync(join(dir, f))));
  } catch (e) {
    return { file: f, error: `unreadable: ${e.message}` };
  }
});
process.stdout.write(JSON.stringify({ frames }) + '\n');

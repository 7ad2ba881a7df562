// Bounds-checked reader and writer of the primitives binary doc values are laid out in: varints, float64, sized bytes, UTF-8 text.

/** The bytes end early or break the layout; readers turn it into "not a valid value". */
export class MalformedBytes extends Error {
	constructor() {
		super('malformed binary value');
		this.name = 'MalformedBytes';
	}
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ALPHABET_CODES = Uint8Array.from(ALPHABET, (char) => char.charCodeAt(0));

/** fatal: a byte string that is not UTF-8 is refused, not patched into other text. */
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Repeated short text (mime types, camera and lens names) is decoded once and shared. */
const INTERNED_SLOTS = 256;
const MAX_INTERNED_BYTES = 64;

/** Reads primitives from `data`, throwing MalformedBytes at anything past its end or out of range. */
export class ByteReader {
	private pos = 0;
	private view: DataView | null = null;
	/** Characters of one base64url string being built (the longest: 64 bytes, 86 characters). */
	private static chars = new Uint8Array(128);
	private static interned: ({ bytes: Uint8Array; text: string } | undefined)[] = new Array(
		INTERNED_SLOTS
	);

	constructor(private readonly data: Uint8Array) {}

	atEnd(): boolean {
		return this.pos === this.data.length;
	}

	byte(): number {
		if (this.pos >= this.data.length) throw new MalformedBytes();
		return this.data[this.pos++]!;
	}

	/** LEB128: a whole number from 0 to Number.MAX_SAFE_INTEGER. */
	varUint(): number {
		let value = 0;
		let multiplier = 1;
		for (;;) {
			const byte = this.byte();
			value += (byte & 0x7f) * multiplier;
			if (byte < 0x80) break;
			multiplier *= 128;
			if (multiplier > 2 ** 56) throw new MalformedBytes();
		}
		if (value > Number.MAX_SAFE_INTEGER) throw new MalformedBytes();
		return value;
	}

	/** A safe integer as lib0 writes it: bit 6 of the first byte is the sign, 6 + 7n bits of magnitude. */
	varInt(): number {
		const first = this.byte();
		let value = first & 0x3f;
		if (first >= 0x80) {
			let multiplier = 64;
			for (;;) {
				const byte = this.byte();
				value += (byte & 0x7f) * multiplier;
				if (byte < 0x80) break;
				multiplier *= 128;
				if (multiplier > 2 ** 56) throw new MalformedBytes();
			}
		}
		if (value > Number.MAX_SAFE_INTEGER) throw new MalformedBytes();
		// No negative zero: 0 reads as 0 whatever its sign bit.
		return (first & 0x40) !== 0 && value !== 0 ? -value : value;
	}

	/** Little-endian IEEE 754 double: any value, NaN included (callers check ranges). */
	float64(): number {
		if (this.pos + 8 > this.data.length) throw new MalformedBytes();
		this.view ??= new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength);
		const value = this.view.getFloat64(this.pos, true);
		this.pos += 8;
		return value;
	}

	/** `length` bytes, as a view into the data (copy it to keep it). */
	bytes(length: number): Uint8Array {
		if (this.pos + length > this.data.length) throw new MalformedBytes();
		const slice = this.data.subarray(this.pos, this.pos + length);
		this.pos += length;
		return slice;
	}

	/** A varuint length from `min` to `max`, then that many bytes. */
	sizedBytes(min: number, max: number): Uint8Array {
		const length = this.varUint();
		if (length < min || length > max) throw new MalformedBytes();
		return this.bytes(length);
	}

	/**
	 * `length` bytes (at most 64) as canonical base64url. When they spell `known` (a string the
	 * caller expects, such as the map key or the writer's key), that very string is returned.
	 *
	 * The string is built flat in one piece: `out += ...` would leave a rope of small strings per
	 * value, and keeping 100,000 PhotoRefs' worth of ropes alive made garbage collection take
	 * longer than the decoding itself.
	 */
	base64Url(length: number, known?: string | null): string {
		const bytes = this.bytes(length);
		const chars = ByteReader.chars;
		let j = 0;
		let i = 0;
		for (; i + 2 < length; i += 3) {
			const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
			chars[j++] = ALPHABET_CODES[n >> 18]!;
			chars[j++] = ALPHABET_CODES[(n >> 12) & 63]!;
			chars[j++] = ALPHABET_CODES[(n >> 6) & 63]!;
			chars[j++] = ALPHABET_CODES[n & 63]!;
		}
		if (length - i === 1) {
			const n = bytes[i]!;
			chars[j++] = ALPHABET_CODES[n >> 2]!;
			chars[j++] = ALPHABET_CODES[(n & 3) << 4]!;
		} else if (length - i === 2) {
			const n = (bytes[i]! << 8) | bytes[i + 1]!;
			chars[j++] = ALPHABET_CODES[n >> 10]!;
			chars[j++] = ALPHABET_CODES[(n >> 4) & 63]!;
			chars[j++] = ALPHABET_CODES[(n & 15) << 2]!;
		}
		if (known != null && spells(chars, j, known)) return known;
		return String.fromCharCode.apply(null, chars.subarray(0, j) as unknown as number[]);
	}

	/** A varuint length from `min` to `max`, then that many bytes as base64url. */
	sizedBase64Url(min: number, max: number, known?: string | null): string {
		const length = this.varUint();
		if (length < min || length > max) throw new MalformedBytes();
		return this.base64Url(length, known);
	}

	/**
	 * UTF-8 text of at most `maxLength` UTF-16 units (string.length, as valibot's maxLength counts).
	 * `shared`: the text often repeats (a mime type), so equal short texts come back as one string.
	 */
	text(maxLength: number, shared = false): string {
		// A UTF-16 unit takes at most 3 bytes of UTF-8: longer byte strings are refused unread.
		const bytes = this.sizedBytes(0, maxLength * 3);
		const text =
			shared && bytes.length <= MAX_INTERNED_BYTES ? ByteReader.intern(bytes) : decodeText(bytes);
		if (text.length > maxLength) throw new MalformedBytes();
		return text;
	}

	private static intern(bytes: Uint8Array): string {
		let hash = 0x811c9dc5;
		for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
		const slot = (hash >>> 0) % INTERNED_SLOTS;
		const entry = ByteReader.interned[slot];
		if (entry && sameBytes(entry.bytes, bytes)) return entry.text;
		const text = decodeText(bytes);
		ByteReader.interned[slot] = { bytes: bytes.slice(), text };
		return text;
	}
}

function decodeText(bytes: Uint8Array): string {
	// Most PhotoRef text is ASCII (IMG_1234.HEIC): no UTF-8 decoder needed, and the result is flat.
	let ascii = true;
	for (let i = 0; i < bytes.length; i++) {
		if (bytes[i]! >= 0x80) {
			ascii = false;
			break;
		}
	}
	if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
	try {
		return utf8Decoder.decode(bytes);
	} catch {
		throw new MalformedBytes();
	}
}

function spells(chars: Uint8Array, length: number, text: string): boolean {
	if (text.length !== length) return false;
	for (let i = 0; i < length; i++) if (chars[i] !== text.charCodeAt(i)) return false;
	return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
	return true;
}

/**
 * Appends primitives to one scratch buffer shared by every writer (writing is synchronous and
 * finish() copies out), so encoding a 10,000-photo import allocates little more than its results.
 */
export class ByteWriter {
	private static scratch = new Uint8Array(4096);
	private static view = new DataView(ByteWriter.scratch.buffer);
	private data = ByteWriter.scratch;
	private pos = 0;

	private room(length: number): void {
		if (this.pos + length <= this.data.length) return;
		const grown = new Uint8Array(Math.max(this.data.length * 2, this.pos + length));
		grown.set(this.data.subarray(0, this.pos));
		ByteWriter.scratch = this.data = grown;
		ByteWriter.view = new DataView(grown.buffer);
	}

	byte(value: number): void {
		this.room(1);
		this.data[this.pos++] = value;
	}

	/** A whole number from 0 to Number.MAX_SAFE_INTEGER. */
	varUint(value: number): void {
		this.room(8);
		while (value >= 0x80) {
			this.data[this.pos++] = (value % 128) | 0x80;
			value = Math.floor(value / 128);
		}
		this.data[this.pos++] = value;
	}

	/** A safe integer (see ByteReader.varInt). */
	varInt(value: number): void {
		let magnitude = Math.abs(value);
		this.room(9);
		this.data[this.pos++] =
			(magnitude >= 0x40 ? 0x80 : 0) | (value < 0 ? 0x40 : 0) | (magnitude % 64);
		magnitude = Math.floor(magnitude / 64);
		while (magnitude > 0) {
			this.data[this.pos++] = (magnitude >= 0x80 ? 0x80 : 0) | (magnitude % 128);
			magnitude = Math.floor(magnitude / 128);
		}
	}

	float64(value: number): void {
		this.room(8);
		ByteWriter.view.setFloat64(this.pos, value, true);
		this.pos += 8;
	}

	bytes(bytes: Uint8Array): void {
		this.room(bytes.length);
		this.data.set(bytes, this.pos);
		this.pos += bytes.length;
	}

	sizedBytes(bytes: Uint8Array): void {
		this.varUint(bytes.length);
		this.bytes(bytes);
	}

	text(text: string): void {
		// At most 3 bytes of UTF-8 per UTF-16 unit; the length prefix is written once it is known.
		const most = text.length * 3;
		let prefix = 1;
		for (let n = most; n >= 0x80; n = Math.floor(n / 128)) prefix++;
		this.room(prefix + most);
		const start = this.pos + prefix;
		const { written } = utf8Encoder.encodeInto(text, this.data.subarray(start, start + most));
		this.varUint(written);
		if (this.pos !== start) this.data.copyWithin(this.pos, start, start + written);
		this.pos += written;
	}

	/** A copy of exactly the bytes written: Yjs keeps the Uint8Array it is given. */
	finish(): Uint8Array {
		return this.data.slice(0, this.pos);
	}
}

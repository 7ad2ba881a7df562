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

/** One float64 and its bytes, in the platform's byte order. */
const FLOAT = new Float64Array(1);
const FLOAT_BYTES = new Uint8Array(FLOAT.buffer);
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Repeated short text (mime types, camera and lens names) is decoded once and shared. */
const INTERNED_SLOTS = 256;
const MAX_INTERNED_BYTES = 64;

/** Reads primitives from `data`, throwing MalformedBytes at anything past its end or out of range. */
export class ByteReader {
	private pos = 0;
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
		const start = this.take(8);
		// Through one shared 8-byte buffer: a DataView per value read would cost more than the read.
		const data = this.data;
		for (let i = 0; i < 8; i++) FLOAT_BYTES[i] = data[start + (LITTLE_ENDIAN ? i : 7 - i)]!;
		return FLOAT[0]!;
	}

	/** `length` bytes, as a view into the data (copy it to keep it). */
	bytes(length: number): Uint8Array {
		const start = this.take(length);
		return this.data.subarray(start, start + length);
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
		const chars = this.base64UrlChars(length);
		if (known != null && spells(chars, known)) return known;
		return String.fromCharCode.apply(null, chars);
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
		const length = this.varUint();
		if (length > maxLength * 3) throw new MalformedBytes();
		const start = this.take(length);
		const text =
			shared && length <= MAX_INTERNED_BYTES
				? ByteReader.intern(this.data, start, start + length)
				: decodeText(this.data, start, start + length);
		if (text.length > maxLength) throw new MalformedBytes();
		return text;
	}

	/** Moves past `length` bytes; returns where they start. */
	private take(length: number): number {
		const start = this.pos;
		if (length > this.data.length - start) throw new MalformedBytes();
		this.pos = start + length;
		return start;
	}

	/** The base64url characters of the next `length` bytes, in a shared array of their length. */
	private base64UrlChars(length: number): number[] {
		const start = this.take(length);
		const data = this.data;
		const chars = charArray(Math.ceil((length * 4) / 3));
		const end = start + length;
		let j = 0;
		let i = start;
		for (; i + 2 < end; i += 3) {
			const n = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
			chars[j++] = ALPHABET_CODES[n >> 18]!;
			chars[j++] = ALPHABET_CODES[(n >> 12) & 63]!;
			chars[j++] = ALPHABET_CODES[(n >> 6) & 63]!;
			chars[j++] = ALPHABET_CODES[n & 63]!;
		}
		if (end - i === 1) {
			const n = data[i]!;
			chars[j] = ALPHABET_CODES[n >> 2]!;
			chars[j + 1] = ALPHABET_CODES[(n & 3) << 4]!;
		} else if (end - i === 2) {
			const n = (data[i]! << 8) | data[i + 1]!;
			chars[j] = ALPHABET_CODES[n >> 10]!;
			chars[j + 1] = ALPHABET_CODES[(n >> 4) & 63]!;
			chars[j + 2] = ALPHABET_CODES[(n & 15) << 2]!;
		}
		return chars;
	}

	private static intern(data: Uint8Array, start: number, end: number): string {
		let hash = 0x811c9dc5;
		for (let i = start; i < end; i++) hash = Math.imul(hash ^ data[i]!, 0x01000193);
		const slot = (hash >>> 0) % INTERNED_SLOTS;
		const entry = ByteReader.interned[slot];
		if (entry && sameBytes(entry.bytes, data, start, end)) return entry.text;
		const text = decodeText(data, start, end);
		ByteReader.interned[slot] = { bytes: data.slice(start, end), text };
		return text;
	}
}

/** Longest ASCII text built through a shared character array (longer text is rare). */
const MAX_CHARS_ARRAY = 256;
/**
 * Character codes of the string being built, one array per length (base64url of at most 64
 * bytes is 86 characters; ASCII text up to MAX_CHARS_ARRAY): String.fromCharCode.apply on a plain
 * array of exactly the string's length is two to three times faster than on a typed array view.
 */
const charArrays: number[][] = [];

/** The shared array of `length` character codes (each use overwrites it). */
function charArray(length: number): number[] {
	let chars = charArrays[length];
	if (chars === undefined) {
		chars = Array.from({ length }, () => 0);
		charArrays[length] = chars;
	}
	return chars;
}

function decodeText(data: Uint8Array, start: number, end: number): string {
	// Most PhotoRef text is ASCII (IMG_1234.HEIC): no UTF-8 decoder needed, and the result is flat.
	let ascii = true;
	for (let i = start; i < end; i++) {
		if (data[i]! >= 0x80) {
			ascii = false;
			break;
		}
	}
	const length = end - start;
	if (ascii && length <= MAX_CHARS_ARRAY) {
		const chars = charArray(length);
		for (let i = 0; i < length; i++) chars[i] = data[start + i]!;
		return String.fromCharCode.apply(null, chars);
	}
	const bytes = data.subarray(start, end);
	if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
	try {
		return utf8Decoder.decode(bytes);
	} catch {
		throw new MalformedBytes();
	}
}

function spells(chars: readonly number[], text: string): boolean {
	const length = chars.length;
	if (text.length !== length) return false;
	for (let i = 0; i < length; i++) if (chars[i] !== text.charCodeAt(i)) return false;
	return true;
}

function sameBytes(a: Uint8Array, data: Uint8Array, start: number, end: number): boolean {
	if (a.length !== end - start) return false;
	for (let i = 0; i < a.length; i++) if (a[i] !== data[start + i]) return false;
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

// Refuses hostile Yjs updates before Yjs decodes them: size cap and a bounded walk of the V2 struct list.

import * as Y from 'yjs';

/**
 * Why this exists: Yjs's V2 format run-length-encodes struct fields, so a few bytes can announce
 * billions of structs that each read nothing from the input (GC structs, deleted or empty items).
 * Y.applyUpdateV2 would then allocate them all (memory and CPU "decode bomb"). Yjs has no limit of
 * its own, so before applying we walk the struct list the way Yjs 13.6 reads it (same decoder, no
 * struct objects built) and refuse an update that announces more structs and content values than
 * it has bytes (plus a small allowance). Honest updates of our docs spend at least a byte per
 * struct (a key, an origin, a value), so they stay under the bound.
 */

/** Structs and content values an update may announce beyond one per byte. */
const STRUCT_ALLOWANCE = 1024;

/** The low 5 bits of a struct's info byte name its kind: 0 GC, 10 Skip, else an item's content. */
const SKIP_CONTENT = 10;
const CONTENT_BITS = 0b11111;
const HAS_ORIGIN = 0b1000_0000;
const HAS_RIGHT_ORIGIN = 0b0100_0000;
const HAS_PARENT_SUB = 0b0010_0000;

/** Yjs's type refs that carry a node name (YXmlElement, YXmlHook); 0..6 are all valid. */
const XML_ELEMENT_REF = 3;
const XML_HOOK_REF = 5;
const MAX_TYPE_REF = 6;

export type UpdateProblem = 'too-large' | 'decode-bomb' | 'malformed';

export class UpdateGuardError extends Error {
	constructor(
		readonly problem: UpdateProblem,
		message: string
	) {
		super(message);
		this.name = 'UpdateGuardError';
	}
}

/** The lib0 decoder Yjs's UpdateDecoderV2 reads from: a byte array and a position. */
type Lib0Decoder = ConstructorParameters<typeof Y.UpdateDecoderV2>[0];

/**
 * Throws UpdateGuardError unless `update` is at most `maxBytes` and its struct list is within the
 * bound. It does not prove the update valid: Yjs may still throw on it, which callers catch.
 */
export function checkUpdate(update: Uint8Array, maxBytes: number): void {
	checkSize(update, maxBytes);
	const budget = update.byteLength + STRUCT_ALLOWANCE;
	try {
		walkStructs(update, budget);
	} catch (error) {
		if (error instanceof UpdateGuardError) throw error;
		throw new UpdateGuardError('malformed', 'This album change is not a valid Yjs update.');
	}
}

/** Only the type and the size cap: for state this device sealed itself (see loadLocalState). */
export function checkSize(update: Uint8Array, maxBytes: number): void {
	if (!(update instanceof Uint8Array)) {
		throw new UpdateGuardError('malformed', 'An album change must be bytes.');
	}
	if (update.byteLength > maxBytes) {
		throw new UpdateGuardError(
			'too-large',
			`This album change is ${update.byteLength} bytes; at most ${maxBytes} are accepted.`
		);
	}
}

function walkStructs(update: Uint8Array, budget: number): void {
	const source = { arr: update, pos: 0 } as Lib0Decoder;
	const decoder = new Y.UpdateDecoderV2(source);
	const rest = decoder.restDecoder as unknown as { arr: Uint8Array; pos: number };
	let spent = 0;
	const spend = (count: number): void => {
		spent += count;
		if (spent > budget) {
			throw new UpdateGuardError(
				'decode-bomb',
				'This album change announces far more content than it carries; it was refused.'
			);
		}
	};

	const clients = readVarUint(rest);
	spend(clients);
	for (let c = 0; c < clients; c++) {
		const structs = readVarUint(rest);
		spend(structs);
		decoder.readClient();
		readVarUint(rest); // first clock
		for (let i = 0; i < structs; i++) {
			const info = decoder.readInfo();
			const content = info & CONTENT_BITS;
			if (content === SKIP_CONTENT) {
				readVarUint(rest);
				continue;
			}
			if (content === 0) {
				decoder.readLen(); // GC
				continue;
			}
			if (info & HAS_ORIGIN) decoder.readLeftID();
			if (info & HAS_RIGHT_ORIGIN) decoder.readRightID();
			const noOrigins = (info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN)) === 0;
			if (noOrigins) {
				if (decoder.readParentInfo()) decoder.readString();
				else decoder.readLeftID();
				if (info & HAS_PARENT_SUB) decoder.readString();
			}
			skipContent(decoder, content, spend);
		}
	}
	// The delete set follows; reading it here means a truncated one fails before Yjs integrates
	// the structs in front of it.
	const deleteClients = readVarUint(rest);
	spend(deleteClients);
	for (let c = 0; c < deleteClients; c++) {
		decoder.resetDsCurVal();
		readVarUint(rest); // client
		const ranges = readVarUint(rest);
		spend(ranges);
		for (let i = 0; i < ranges; i++) {
			decoder.readDsClock();
			decoder.readDsLen();
		}
	}
}

/** Reads past one item's content exactly as Yjs's readItemContent does, counting values. */
function skipContent(
	decoder: Y.UpdateDecoderV2,
	content: number,
	spend: (count: number) => void
): void {
	switch (content) {
		case 1: // ContentDeleted
			decoder.readLen();
			return;
		case 2: {
			// ContentJSON
			const length = decoder.readLen();
			spend(length);
			for (let i = 0; i < length; i++) decoder.readString();
			return;
		}
		case 3: // ContentBinary
			decoder.readBuf();
			return;
		case 4: // ContentString
			decoder.readString();
			return;
		case 5: // ContentEmbed
			decoder.readJSON();
			return;
		case 6: // ContentFormat
			decoder.readKey();
			decoder.readJSON();
			return;
		case 7: {
			// ContentType
			const ref = decoder.readTypeRef();
			if (ref > MAX_TYPE_REF) throw new RangeError('unknown type');
			if (ref === XML_ELEMENT_REF || ref === XML_HOOK_REF) decoder.readKey();
			return;
		}
		case 8: {
			// ContentAny
			const length = decoder.readLen();
			spend(length);
			for (let i = 0; i < length; i++) decoder.readAny();
			return;
		}
		case 9: // ContentDoc
			decoder.readString();
			decoder.readAny();
			return;
		default:
			throw new RangeError('unknown content');
	}
}

/** lib0's readVarUint on the raw decoder (lib0 itself is not one of our dependencies). */
function readVarUint(decoder: { arr: Uint8Array; pos: number }): number {
	let value = 0;
	let multiplier = 1;
	while (decoder.pos < decoder.arr.length) {
		const byte = decoder.arr[decoder.pos++]!;
		value += (byte & 0x7f) * multiplier;
		if (byte < 0x80) return value;
		multiplier *= 128;
		if (value > Number.MAX_SAFE_INTEGER) throw new RangeError('integer out of range');
	}
	throw new RangeError('unexpected end of update');
}

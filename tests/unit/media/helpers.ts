// Helpers for the media tests: a seeded random source, ISO-BMFF box builders and error capture.

import { MediaImportError } from '../../../src/lib/media';

/** mulberry32: a small seeded PRNG, so a failing random case can be replayed. */
export function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export function randomBytes(random: () => number, length: number): Uint8Array {
	return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

export function ascii(text: string): number[] {
	return Array.from(text, (c) => c.charCodeAt(0));
}

function u32(n: number): number[] {
	return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** An ISO-BMFF box: 32-bit size, four-character type, payload. */
export function box(type: string, ...payload: (number[] | Uint8Array)[]): number[] {
	const body = payload.flatMap((part) => Array.from(part));
	return [...u32(8 + body.length), ...ascii(type), ...body];
}

/** A full box: a box whose payload starts with version and flags. */
export function fullBox(type: string, version: number, ...payload: number[][]): number[] {
	return box(type, [version, 0, 0, 0], ...payload);
}

export function ftyp(major: string, ...compatible: string[]): number[] {
	return box('ftyp', ascii(major), [0, 0, 0, 0], ...compatible.map(ascii));
}

/** ftyp + meta with the item properties a HEIF reader looks at: one ispe per size, an optional irot. */
export function heifHeader(
	major: string,
	compatible: string[],
	sizes: [number, number][],
	irot?: number
): Uint8Array {
	const properties = [
		...sizes.map(([w, h]) => fullBox('ispe', 0, u32(w), u32(h))),
		...(irot === undefined ? [] : [box('irot', [irot])])
	];
	const meta = fullBox(
		'meta',
		0,
		fullBox('hdlr', 0, [0, 0, 0, 0], ascii('pict'), new Array<number>(13).fill(0)),
		box('iprp', box('ipco', ...properties))
	);
	return Uint8Array.from([...ftyp(major, ...compatible), ...meta, ...box('mdat', [1, 2, 3])]);
}

/** Awaits `promise` and returns what it rejected with; fails the test if it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
	try {
		await promise;
	} catch (error) {
		return error;
	}
	throw new Error('expected the promise to reject, but it resolved');
}

/** The code of a MediaImportError a promise rejected with. */
export async function rejectionCode(promise: Promise<unknown>): Promise<string> {
	const error = await rejection(promise);
	if (!(error instanceof MediaImportError))
		throw new Error(`not a MediaImportError: ${String(error)}`);
	return error.code;
}

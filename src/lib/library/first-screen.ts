// The Library's first screen, sealed on the device: shown at the next start while the library itself opens.

import * as v from 'valibot';
import { PhotoRefSchema, readPhotoRef, type PhotoRef } from '../albums';
import type { TesseraDB } from '../local/db';
import { openOnDevice, sealForDevice } from '../local/vault';

/** Enough photos to fill a large screen at the grid's smallest cells, and a little scrolling. */
export const FIRST_SCREEN_PHOTOS = 240;

/** Bound as additional data: a sealed first screen cannot pass for any other sealed value. */
const PURPOSE = 'tessera/v1/first-screen/';

/** What was on top of the Library when it last changed, newest first, and how many there were. */
export interface FirstScreen {
	refs: PhotoRef[];
	total: number;
}

const StoredSchema = v.object({
	total: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
	refs: v.pipe(v.array(v.unknown()), v.maxLength(FIRST_SCREEN_PHOTOS))
});

/**
 * The first screen saved under `key`, or null when there is none or it cannot be read (sealed
 * under an older device key, or damaged): the Library then shows once it has opened, as before.
 */
export async function readFirstScreen(db: TesseraDB, key: string): Promise<FirstScreen | null> {
	try {
		const row = await db.views.get(key);
		if (!row) return null;
		const bytes = await openOnDevice(db, row.sealed, PURPOSE + key);
		const parsed = v.safeParse(StoredSchema, JSON.parse(new TextDecoder().decode(bytes)));
		if (!parsed.success) return null;
		const refs: PhotoRef[] = [];
		for (const value of parsed.output.refs) {
			const ref = readPhotoRef(value);
			if (ref) refs.push(ref);
		}
		return { refs, total: Math.max(parsed.output.total, refs.length) };
	} catch {
		return null;
	}
}

/** Seals the first FIRST_SCREEN_PHOTOS of `photos` (newest first) under the device key. */
export async function saveFirstScreen(
	db: TesseraDB,
	key: string,
	photos: readonly PhotoRef[],
	total: number
): Promise<void> {
	const stored = { total, refs: photos.slice(0, FIRST_SCREEN_PHOTOS).map(plainRef) };
	const sealed = await sealForDevice(
		db,
		new TextEncoder().encode(JSON.stringify(stored)),
		PURPOSE + key
	);
	await db.views.put({ key, sealed, savedAt: Date.now() });
}

const REF_FIELDS = Object.keys(PhotoRefSchema.entries) as (keyof PhotoRef)[];

/** The PhotoRef's fields as a plain object, however the album model holds it. */
function plainRef(ref: PhotoRef): Record<string, unknown> {
	const plain: Record<string, unknown> = {};
	for (const field of REF_FIELDS) {
		if (ref[field] !== undefined) plain[field] = ref[field];
	}
	return plain;
}

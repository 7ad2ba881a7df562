// The storage meter's figures: how full the account is and how to say it.

import { formatBytes } from '../format';

export type StorageLevel = 'ok' | 'warning' | 'full';

/** Past this share of the quota the meter turns to the warning colour. */
export const STORAGE_WARNING_AT = 0.9;

export interface StorageReading {
	/** 0..1 of the quota (0 when there is no quota). */
	fraction: number;
	level: StorageLevel;
	/** "2.3 GB of 10 GB used", or "2.3 GB used" without a quota. */
	text: string;
}

/** Reads `used` bytes against `quota` bytes (null: no limit). */
export function readStorage(used: number, quota: number | null): StorageReading {
	const safeUsed = Number.isFinite(used) && used > 0 ? used : 0;
	if (quota === null || !(quota > 0)) {
		return { fraction: 0, level: 'ok', text: `${formatBytes(safeUsed)} used` };
	}
	const fraction = Math.min(1, safeUsed / quota);
	const level: StorageLevel =
		safeUsed >= quota ? 'full' : fraction >= STORAGE_WARNING_AT ? 'warning' : 'ok';
	return { fraction, level, text: `${formatBytes(safeUsed)} of ${formatBytes(quota)} used` };
}

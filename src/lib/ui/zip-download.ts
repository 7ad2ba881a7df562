// Downloads several photos as one ZIP, decrypted and zipped as a stream in the browser (client-zip).

import { downloadZip } from 'client-zip';

export interface ZipItem {
	name: string;
	lastModified: Date;
	size: number;
	/** The plaintext, opened only when the zip reaches this file. */
	open(): Promise<ReadableStream<Uint8Array>>;
}

export interface ZipProgress {
	files: number;
	total: number;
}

interface SaveFilePicker {
	(options: { suggestedName: string }): Promise<{
		createWritable(): Promise<WritableStream<Uint8Array>>;
	}>;
}

/**
 * Zips `items` into `zipName`. Where the browser can write to a file the user picks, the zip
 * streams straight to disk (nothing whole in memory); elsewhere it is collected into a Blob first.
 * A photo that fails to decrypt stops the download with that error: a zip never holds a damaged file.
 */
export async function downloadAsZip(
	zipName: string,
	items: readonly ZipItem[],
	onProgress?: (progress: ZipProgress) => void
): Promise<void> {
	const names = uniqueNames(items.map((item) => item.name));
	let done = 0;
	async function* files() {
		for (const [i, item] of items.entries()) {
			onProgress?.({ files: done, total: items.length });
			yield {
				name: names[i]!,
				lastModified: item.lastModified,
				size: item.size,
				input: await item.open()
			};
			done += 1;
		}
		onProgress?.({ files: done, total: items.length });
	}
	const zip = downloadZip(files());
	const picker = (globalThis as { showSaveFilePicker?: SaveFilePicker }).showSaveFilePicker;
	if (picker) {
		let handle;
		try {
			handle = await picker({ suggestedName: zipName });
		} catch (error) {
			if (error instanceof DOMException && error.name === 'AbortError') return;
			throw error;
		}
		await zip.body!.pipeTo(await handle.createWritable());
		return;
	}
	const url = URL.createObjectURL(await zip.blob());
	const link = document.createElement('a');
	link.href = url;
	link.download = zipName;
	link.click();
	setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** "a.jpg", "a.jpg" -> "a.jpg", "a (2).jpg": a zip with two entries of one name loses one. */
export function uniqueNames(names: readonly string[]): string[] {
	const seen = new Map<string, number>();
	return names.map((name) => {
		const key = name.toLowerCase();
		const count = (seen.get(key) ?? 0) + 1;
		seen.set(key, count);
		if (count === 1) return name;
		const dot = name.lastIndexOf('.');
		return dot > 0 ? `${name.slice(0, dot)} (${count})${name.slice(dot)}` : `${name} (${count})`;
	});
}

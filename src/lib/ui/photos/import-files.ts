// Which of the files a person picked, dropped or pasted the importer should be handed.

/** Drags carrying files (not text or links dragged around the page). */
export function carriesFiles(types: readonly string[] | DOMStringList | undefined): boolean {
	if (!types) return false;
	return Array.from(types as ArrayLike<string>).includes('Files');
}

/**
 * Photos and videos, plus files the browser could not type (HEIC and RAW often arrive with an empty
 * type; the importer checks the bytes and explains what it cannot use). Other documents are left out.
 */
export function mediaFiles(files: Iterable<File> | ArrayLike<File> | null | undefined): File[] {
	if (!files) return [];
	return Array.from(files as ArrayLike<File>).filter(
		(file) => file.type === '' || file.type.startsWith('image/') || file.type.startsWith('video/')
	);
}

/** Whether a key press or paste happened in a field where the person is typing. */
export function isEditable(target: EventTarget | null): boolean {
	if (!target || typeof (target as Element).closest !== 'function') return false;
	const element = target as HTMLElement;
	return (
		element.isContentEditable === true ||
		element.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]') !==
			null
	);
}

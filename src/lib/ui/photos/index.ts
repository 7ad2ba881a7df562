// The photo-browsing components and the shapes they take, for routes to import from one place.

export { default as AlbumCard } from './AlbumCard.svelte';
export { default as ImportDropZone } from './ImportDropZone.svelte';
export { default as Lightbox } from './Lightbox.svelte';
export { default as PhotoGrid } from './PhotoGrid.svelte';
export { default as SelectionBar } from './SelectionBar.svelte';
export { default as StorageMeter } from './StorageMeter.svelte';
export { default as TransferPanel } from './TransferPanel.svelte';
export { sortNewestFirst } from './grouping';
export type {
	GridPhoto,
	PhotoDetails,
	PhotoSource,
	TransferFile,
	TransferPanelError,
	TransferState
} from './types';

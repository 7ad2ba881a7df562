// Types for exifr's lite bundle (JPEG and HEIC/AVIF, TIFF tags): the same API as the package's main entry.

declare module 'exifr/dist/lite.esm.mjs' {
	export * from 'exifr';
	export { default } from 'exifr';
}

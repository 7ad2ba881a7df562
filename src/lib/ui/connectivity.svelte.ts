// Whether the browser believes it has a network, kept current from the online/offline events.
export class Connectivity {
	online = $state(typeof navigator === 'undefined' ? true : navigator.onLine);

	/** Starts listening; returns the function that stops it (fits `$effect`'s cleanup). */
	watch(target: Window = window): () => void {
		const update = () => {
			this.online = navigator.onLine;
		};
		update();
		target.addEventListener('online', update);
		target.addEventListener('offline', update);
		return () => {
			target.removeEventListener('online', update);
			target.removeEventListener('offline', update);
		};
	}
}

// Loads libsodium (sumo) once, on first use, so its ~700 KB stay out of the app's initial chunk.

export type Sodium = typeof import('libsodium-wrappers-sumo').default;

let loading: Promise<Sodium> | undefined;

export function getSodium(): Promise<Sodium> {
	loading ??= import('libsodium-wrappers-sumo').then(
		async (module) => {
			const sodium = module.default;
			await sodium.ready;
			return sodium;
		},
		(error: unknown) => {
			// A failed chunk load (offline, deploy in between) must not poison every later call.
			loading = undefined;
			throw error;
		}
	);
	return loading;
}

/** sizeof(crypto_secretstream_xchacha20poly1305_state), the size libsodium.js allocates. */
const SECRETSTREAM_STATE_BYTES = 52;

/** The slice of the emscripten module we need to release a secretstream state; not in the typings. */
interface SodiumHeap {
	HEAPU8?: Uint8Array;
	_free?: (address: number) => void;
}

/**
 * libsodium.js mallocs each secretstream state in the wasm heap and never frees it; the state holds
 * the stream key, so we wipe and free it ourselves when a stream ends.
 */
export function releaseStreamState(sodium: Sodium, state: unknown): void {
	if (typeof state !== 'number') return;
	const heap = (sodium as unknown as { libsodium?: SodiumHeap }).libsodium;
	if (!heap?.HEAPU8 || !heap._free) return;
	heap.HEAPU8.fill(0, state, state + SECRETSTREAM_STATE_BYTES);
	heap._free(state);
}

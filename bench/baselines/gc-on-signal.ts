// Preloaded into benchmark servers (with --expose-gc): SIGUSR2 runs a full GC, so memory is read settled.

process.on('SIGUSR2', () => {
	(globalThis as { gc?: () => void }).gc?.();
});

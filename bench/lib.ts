// Benchmark harness: figures measured beside their baseline in the same run (see BENCH.md in the shared notes).

export interface Figure {
	/** Dotted and stable across runs, e.g. "crypto.secretstream.encrypt". */
	name: string;
	unit: string;
	value: number;
	/** What the value is compared with, measured in the same run; null for an absolute budget. */
	baseline: string | null;
	baselineValue: number | null;
	/** value / baselineValue, or null without a baseline. */
	ratio: number | null;
	/** "ratio >= 0.8" or "value <= 2000". */
	target: string;
	met: boolean;
	/** Samples behind each median. */
	runs: number;
}

export interface Target {
	of: 'ratio' | 'value';
	op: '>=' | '<=';
	bound: number;
}

export interface Benchmark {
	/** Matched by `npm run bench -- NAME`. */
	name: string;
	run(): Promise<Figure[]>;
}

export function defineBenchmark(name: string, run: () => Promise<Figure[]>): Benchmark {
	return { name, run };
}

export function median(samples: readonly number[]): number {
	if (samples.length === 0) throw new RangeError('median of no samples');
	const sorted = [...samples].sort((a, b) => a - b);
	const middle = sorted.length >> 1;
	return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Milliseconds per call of `fn`, `runs` times, after one unmeasured warm-up call. */
export async function measure(fn: () => unknown, runs: number): Promise<number[]> {
	await fn();
	const samples: number[] = [];
	for (let i = 0; i < runs; i++) samples.push(await time(fn));
	return samples;
}

/**
 * Baseline and ours alternately (baseline, ours, baseline, ours, ...) so drift on a shared machine
 * hits both alike. One warm-up of each first.
 */
export async function measureInterleaved(
	baseline: () => unknown,
	ours: () => unknown,
	runs: number
): Promise<{ baseline: number[]; ours: number[] }> {
	await baseline();
	await ours();
	const samples = { baseline: [] as number[], ours: [] as number[] };
	for (let i = 0; i < runs; i++) {
		samples.baseline.push(await time(baseline));
		samples.ours.push(await time(ours));
	}
	return samples;
}

async function time(fn: () => unknown): Promise<number> {
	const start = performance.now();
	await fn();
	return performance.now() - start;
}

/** Decimal megabytes per second for `bytes` processed in `ms`. */
export function megabytesPerSecond(bytes: number, ms: number): number {
	return bytes / 1e6 / (ms / 1000);
}

export function round(value: number, digits = 3): number {
	const factor = 10 ** digits;
	return Math.round(value * factor) / factor;
}

export function figure(input: {
	name: string;
	unit: string;
	value: number;
	baseline?: string;
	baselineValue?: number;
	target: Target;
	runs: number;
}): Figure {
	const baselineValue = input.baselineValue ?? null;
	const ratio = baselineValue === null ? null : input.value / baselineValue;
	const measured = input.target.of === 'ratio' ? ratio : input.value;
	if (measured === null) throw new Error(`${input.name}: a ratio target needs a baseline`);
	const met =
		input.target.op === '>=' ? measured >= input.target.bound : measured <= input.target.bound;
	return {
		name: input.name,
		unit: input.unit,
		value: round(input.value, 1),
		baseline: input.baseline ?? null,
		baselineValue: baselineValue === null ? null : round(baselineValue, 1),
		ratio: ratio === null ? null : round(ratio),
		target: `${input.target.of} ${input.target.op} ${input.target.bound}`,
		met,
		runs: input.runs
	};
}

/** A plain-text table of figures for the terminal. */
export function formatTable(figures: readonly Figure[]): string {
	const header = [
		'figure',
		'value',
		'baseline',
		'baseline value',
		'ratio',
		'target',
		'met',
		'runs'
	];
	const rows = figures.map((f) => [
		f.name,
		`${f.value} ${f.unit}`,
		f.baseline ?? '-',
		f.baselineValue === null ? '-' : `${f.baselineValue} ${f.unit}`,
		f.ratio === null ? '-' : String(f.ratio),
		f.target,
		f.met ? 'yes' : 'NO',
		String(f.runs)
	]);
	const widths = header.map((title, column) =>
		Math.max(title.length, ...rows.map((row) => row[column]!.length))
	);
	const line = (cells: string[]) =>
		cells
			.map((cell, i) => cell.padEnd(widths[i]!))
			.join('  ')
			.trimEnd();
	return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A small seeded PRNG (mulberry32) giving bytes, for reproducible photos and keys. */
export function seededBytes(seed: number): (length: number) => Uint8Array {
	let state = seed >>> 0;
	return (length) => {
		const bytes = new Uint8Array(length);
		for (let i = 0; i < length; i++) {
			state = (state + 0x6d2b79f5) >>> 0;
			let t = state;
			t = Math.imul(t ^ (t >>> 15), t | 1);
			t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
			bytes[i] = (t ^ (t >>> 14)) & 0xff;
		}
		return bytes;
	};
}

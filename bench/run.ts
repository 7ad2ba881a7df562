// Runs every bench/*.bench.ts (or the one named), prints a table and writes bench/out/results.json.
// Usage: node --import tsx bench/run.ts [NAME]   (npm run bench -- NAME)

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatTable, type Benchmark, type Figure } from './lib';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('./out/', import.meta.url));
const resultsPath = outDir + 'results.json';

interface Results {
	machine: string;
	figures: Figure[];
}

async function main(): Promise<void> {
	const only = process.argv[2];
	const files = readdirSync(benchDir)
		.filter((name) => name.endsWith('.bench.ts'))
		.filter((name) => only === undefined || name === `${only}.bench.ts`)
		.sort();
	if (files.length === 0) {
		console.error(
			only ? `No benchmark named "${only}" (bench/${only}.bench.ts).` : 'No benchmarks in bench/.'
		);
		process.exit(1);
	}

	const figures: Figure[] = [];
	for (const file of files) {
		const module = (await import(pathToFileURL(benchDir + file).href)) as { default: Benchmark };
		console.log(`running ${module.default.name} ...`);
		figures.push(...(await module.default.run()));
	}

	const results: Results = {
		machine: `${cpus().length} cores, Node ${process.version}`,
		figures: mergeWithPrevious(figures, only !== undefined)
	};
	mkdirSync(outDir, { recursive: true });
	writeFileSync(resultsPath, JSON.stringify(results, null, 2) + '\n');
	console.log('\n' + formatTable(figures));
	console.log(`\n${results.machine}; medians over "runs" samples; wrote ${resultsPath}`);
}

/** Running one benchmark replaces its figures and keeps the others from the previous full run. */
function mergeWithPrevious(fresh: Figure[], partial: boolean): Figure[] {
	if (!partial || !existsSync(resultsPath)) return fresh;
	const previous = JSON.parse(readFileSync(resultsPath, 'utf8')) as Partial<Results>;
	const freshNames = new Set(fresh.map((f) => f.name));
	return [...(previous.figures ?? []).filter((f) => !freshNames.has(f.name)), ...fresh];
}

await main();

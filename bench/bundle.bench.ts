// Initial JavaScript of the Library page, gzipped: the entry, the root layout and page, and everything they import statically.

import { execSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { defineBenchmark, figure, type Figure } from './lib';

const BUILD = path.resolve('build');
const IMMUTABLE = path.join(BUILD, '_app', 'immutable');

/** Static `import … from "x"`, `import "x"` and `export … from "x"`; never `import("x")`. */
const STATIC_IMPORT =
	/\b(?:import\s*(?:\{[^}]*\}\s*from\s*|\*\s*as\s+[\w$]+\s*from\s*|[\w$]+\s*(?:,\s*\{[^}]*\}\s*)?from\s*)?|export\s*(?:\{[^}]*\}|\*(?:\s*as\s+[\w$]+)?)\s*from\s*)["']([^"']+\.js)["']/g;

function staticImports(file: string): string[] {
	const code = readFileSync(file, 'utf8');
	const out: string[] = [];
	for (const match of code.matchAll(STATIC_IMPORT)) {
		out.push(path.resolve(path.dirname(file), match[1]!));
	}
	return out;
}

/** The files a browser must load before the page runs: roots and their static import closure. */
function closure(roots: readonly string[]): Set<string> {
	const seen = new Set<string>();
	const queue = [...roots];
	while (queue.length > 0) {
		const file = queue.pop()!;
		if (seen.has(file)) continue;
		seen.add(file);
		queue.push(...staticImports(file));
	}
	return seen;
}

function fileIn(folder: string, prefix: string): string {
	const name = readdirSync(folder).find((n) => n.startsWith(prefix) && n.endsWith('.js'));
	if (!name) throw new Error(`no ${prefix}*.js in ${folder}`);
	return path.join(folder, name);
}

/** SvelteKit's client manifest: which nodes (layouts and page) the route "/" uses. */
function rootRouteNodes(app: string): number[] {
	const code = readFileSync(app, 'utf8');
	const route = /["']\/["']\s*:\s*\[\s*(~?\d+)/.exec(code);
	const page = route ? Math.abs(Number(route[1]!.replace('~', ''))) : 2;
	return [0, page];
}

export default defineBenchmark('bundle', async (): Promise<Figure[]> => {
	if (!existsSync(path.join(BUILD, 'index.html'))) {
		execSync('npm run build', { stdio: 'inherit' });
	}
	const entry = path.join(IMMUTABLE, 'entry');
	const app = fileIn(entry, 'app.');
	const roots = [
		fileIn(entry, 'start.'),
		app,
		...rootRouteNodes(app).map((n) => fileIn(path.join(IMMUTABLE, 'nodes'), `${n}.`))
	];
	const files = [...closure(roots)];
	const sized = files
		.map((file) => {
			const bytes = readFileSync(file);
			return { file: path.relative(BUILD, file), raw: bytes.length, gzip: gzipSync(bytes).length };
		})
		.sort((a, b) => b.gzip - a.gzip);
	const total = sized.reduce((sum, f) => sum + f.gzip, 0);
	const raw = sized.reduce((sum, f) => sum + f.raw, 0);
	const sodium = sized.find((f) => f.raw > 400_000);
	if (sodium) throw new Error(`${sodium.file} (libsodium?) is loaded up front; it must stay lazy`);
	console.log(
		`  Library page, signed in: ${files.length} files, ${(raw / 1024).toFixed(1)} KiB raw, ` +
			`${(total / 1024).toFixed(1)} KiB gzipped (level 6); largest:`
	);
	for (const f of sized.slice(0, 5)) {
		console.log(`    ${f.file}: ${(f.gzip / 1024).toFixed(1)} KiB gzipped`);
	}
	return [
		figure({
			name: 'bundle.initialJs.gzip',
			unit: 'KiB',
			value: total / 1024,
			target: { of: 'value', op: '<=', bound: 200 },
			runs: 1
		})
	];
});

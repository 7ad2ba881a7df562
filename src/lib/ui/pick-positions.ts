// Picks which recovery words to ask back: distinct positions, unpredictable, in reading order.

export function pickPositions(count: number, of: number): number[] {
	const chosen: number[] = [];
	const random = new Uint32Array(1);
	while (chosen.length < Math.min(count, of)) {
		crypto.getRandomValues(random);
		const position = random[0]! % of;
		if (!chosen.includes(position)) chosen.push(position);
	}
	return chosen.sort((a, b) => a - b);
}

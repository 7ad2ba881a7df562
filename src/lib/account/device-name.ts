// A name for this device in the sessions list ("Chrome on Linux"), from the browser's own report.

export function describeDevice(userAgent: string): string {
	const browser = /Edg\//.test(userAgent)
		? 'Edge'
		: /Firefox\//.test(userAgent)
			? 'Firefox'
			: /(Chrome|Chromium|CriOS)\//.test(userAgent)
				? 'Chrome'
				: /Safari\//.test(userAgent)
					? 'Safari'
					: 'Browser';
	const system = /iPhone|iPad|iPod/.test(userAgent)
		? 'iOS'
		: /Android/.test(userAgent)
			? 'Android'
			: /Mac OS X|Macintosh/.test(userAgent)
				? 'macOS'
				: /Windows/.test(userAgent)
					? 'Windows'
					: /CrOS/.test(userAgent)
						? 'ChromeOS'
						: /Linux/.test(userAgent)
							? 'Linux'
							: 'an unknown system';
	return `${browser} on ${system}`;
}

// The app's four places, in tab order, and which one a path belongs to.
import type { Pathname } from '$app/types';
import type { IconName } from './Icon.svelte';

export interface Section {
	href: Pathname;
	label: string;
	icon: IconName;
}

const library: Section = { href: '/', label: 'Library', icon: 'library' };

export const sections: readonly Section[] = [
	library,
	{ href: '/albums', label: 'Albums', icon: 'albums' },
	{ href: '/sharing', label: 'Sharing', icon: 'sharing' },
	{ href: '/settings', label: 'Settings', icon: 'settings' }
];

/** The notification list: no tab of its own (the bell opens it), but its own title. */
const activity: Section = { href: '/notifications', label: 'Activity', icon: 'bell' };

/** The section a path lives in: '/albums/x' is in Albums; anything unknown falls back to Library. */
export function sectionFor(pathname: string): Section {
	if (pathname === activity.href) return activity;
	const nested = sections.find(
		(s) => s.href !== '/' && (pathname === s.href || pathname.startsWith(`${s.href}/`))
	);
	return nested ?? library;
}

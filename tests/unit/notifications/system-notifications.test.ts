// System notifications: only when this device turned them on, the browser allows them and the app is in the background.

import { describe, expect, it } from 'vitest';
import {
	SystemNotifications,
	type SystemNotificationHost,
	type SystemPermission
} from '../../../src/lib/notifications';

function host(permission: SystemPermission, answer: SystemPermission = permission) {
	const shown: { title: string; body: string; tag: string; url: string | null }[] = [];
	const state = { permission, enabled: false, hidden: true, asked: 0 };
	const fake: SystemNotificationHost = {
		permission: () => state.permission,
		requestPermission: async () => {
			state.asked++;
			state.permission = answer;
			return answer;
		},
		hidden: () => state.hidden,
		enabled: () => state.enabled,
		setEnabled: (on) => (state.enabled = on),
		show: async (title, options) => {
			shown.push({ title, ...options });
		}
	};
	return { fake, state, shown };
}

describe('SystemNotifications', () => {
	it('turning on asks the browser; once allowed, news in the background shows as "Tessera"', async () => {
		const { fake, state, shown } = host('default', 'granted');
		const system = new SystemNotifications(fake);
		expect(system.state()).toBe('off');
		expect(await system.notify('An album was shared with you', 'tag', '/albums/x')).toBe(false);

		expect(await system.turnOn()).toBe('on');
		expect(state.asked).toBe(1);
		expect(await system.notify('An album was shared with you', 'tag', '/albums/x')).toBe(true);
		expect(shown).toEqual([
			{ title: 'Tessera', body: 'An album was shared with you', tag: 'tag', url: '/albums/x' }
		]);
	});

	it('shows nothing while the app is in front, nor after turning off', async () => {
		const { fake, state, shown } = host('granted');
		const system = new SystemNotifications(fake);
		await system.turnOn();
		state.hidden = false;
		expect(await system.notify('x', 't', null)).toBe(false);
		state.hidden = true;
		system.turnOff();
		expect(system.state()).toBe('off');
		expect(await system.notify('x', 't', null)).toBe(false);
		expect(shown).toEqual([]);
	});

	it('a refusal or a browser without the API leaves them off, and says why', async () => {
		const refused = host('default', 'denied');
		expect(await new SystemNotifications(refused.fake).turnOn()).toBe('blocked');
		expect(refused.state.enabled).toBe(false);
		expect(new SystemNotifications(host('unsupported').fake).state()).toBe('unsupported');
	});
});

// The signed-in state the pages react to, wrapping the UI-free AccountSession; shared via context.
import { createContext } from 'svelte';
import { AccountApi, AccountSession, describeDevice, type SignedIn } from '../account';
import { workerPasswordKdf } from '../account/kdf-worker-client';
import { openDeviceDatabase, type TesseraDB } from '../local/db';

export type AccountStatus = 'restoring' | 'signed-out' | 'signed-in';

export class AccountState {
	status = $state<AccountStatus>('restoring');
	/** Replaced, never mutated in place: keys are plain bytes and need no deep reactivity. */
	signedIn = $state.raw<SignedIn | null>(null);
	readonly session: AccountSession;

	constructor(
		readonly db: TesseraDB,
		makeSession: (onChange: (signedIn: SignedIn | null) => void) => AccountSession
	) {
		this.session = makeSession((signedIn) => {
			this.signedIn = signedIn ? { ...signedIn } : null;
			this.status = signedIn ? 'signed-in' : 'signed-out';
		});
	}

	/** Reopens the session saved on this device; a broken store counts as signed out. */
	async restore(): Promise<void> {
		try {
			await this.session.restore();
		} catch {
			this.status = 'signed-out';
		}
	}
}

/** The app's account state: the device database, the relay on this origin, Argon2id in a worker. */
export function createAccountState(): AccountState {
	const db = openDeviceDatabase();
	return new AccountState(
		db,
		(onChange) =>
			new AccountSession({
				db,
				api: new AccountApi(),
				kdf: workerPasswordKdf,
				deviceName: describeDevice(navigator.userAgent),
				onChange
			})
	);
}

export const [getAccountState, setAccountState] = createContext<AccountState>();

// Accounts on the device: keys, the relay's accounts API, and the signed-in session. No UI.

export { AccountError, OFFLINE_MESSAGE, type AccountErrorCode } from './errors';
export { AccountApi, type AccountApiOptions } from './api';
export {
	runPasswordKdf,
	type PasswordKdf,
	type PasswordKdfRequest,
	type PasswordKdfResult
} from './kdf';
export {
	createAccountKeys,
	newPasswordProof,
	passwordProof,
	recoveryProof,
	recoveryKeyFromWords,
	openIdentity,
	unlockWithPassword,
	unlockWithRecovery,
	rewrapForPassword,
	publicKeysOf,
	ownVerificationId,
	type AccountKeys,
	type PasswordProof,
	type RecoveryProof,
	type NewAccount,
	type KeyOptions
} from './keys';
export {
	judgePassword,
	preloadPasswordChecker,
	MIN_PASSWORD_SCORE,
	type PasswordVerdict
} from './password-strength';
export { describeDevice } from './device-name';
export { describeAccountError } from './messages';
export {
	AccountSession,
	type AccountSessionOptions,
	type SignedIn,
	type PendingSignUp
} from './session';

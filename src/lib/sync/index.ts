// Album streams on a device: the membership chain today; envelopes, outbox and snapshots to come.

export {
	MembershipChain,
	MembershipChainError,
	RollbackError,
	ForkError,
	memberKeysOf,
	openEpochKeys,
	openLinkEpochKeys,
	type AlbumIdentity,
	type MemberKeys,
	type NewAlbum,
	type NewLink,
	type LinkPasswordKdf,
	type KnownHead,
	type VerifyOptions,
	type RotatingEntry,
	type MembershipChainErrorCode
} from './membership-chain';
export {
	hashMembershipEntry,
	albumIdDigest,
	deriveAlbumId,
	signMembershipEntry,
	hasValidMembershipSignature
} from './membership-crypto';

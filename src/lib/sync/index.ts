// Album streams on a device: the membership chain and doc envelopes; outbox and snapshots to come.

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
export {
	sealEnvelope,
	sealEphemeral,
	openEnvelope,
	openEphemeral,
	membershipHeadAt,
	EnvelopeRejected,
	type EnvelopeRejectedCode,
	type EpochKeys,
	type SealEnvelopeInput,
	type SealEphemeralInput,
	type OpenEnvelopeContext,
	type OpenedEnvelope
} from './envelope';
export {
	SNAPSHOT_PART_BYTES,
	SnapshotSets,
	newSnapshotSetId,
	sealSnapshot,
	splitSnapshot,
	type SealSnapshotInput,
	type SnapshotPartVerdict
} from './snapshot-parts';

// Public API of Tessera's crypto core (libsodium, loaded lazily). See docs/crypto.md for every format.

export { getSodium, type Sodium } from './sodium';
export {
	CryptoError,
	DecryptError,
	StreamError,
	SignatureError,
	FormatError,
	WeakKdfParamsError,
	RecoveryWordsError,
	type CryptoErrorCode
} from './errors';
export { KEY_BYTES } from './bytes';
export { randomBytes, randomKey } from './random';
export { toBase64Url, fromBase64Url } from './base64url';
export { FORMAT_VERSION, Algorithm } from './format';
export {
	DEFAULT_KDF_PARAMS,
	FALLBACK_KDF_PARAMS,
	KDF_FLOOR,
	KDF_CEILING,
	KDF_SALT_BYTES,
	checkKdfParams,
	isKdfParamsAcceptable,
	derivePasswordKey,
	deriveNewPasswordKey,
	type KdfParams
} from './password-kdf';
export { hashAuthKey, verifyAuthKeyHash, AUTH_HASH_PARAMS } from './auth-hash';
export { deriveSubkey, deriveAuthKey, derivePasswordWrapKey, deriveDocKey } from './subkey';
export { wrapKey, unwrapKey, secretboxSeal, secretboxOpen } from './wrap';
export {
	generateBoxKeyPair,
	boxKeyPairFromSeed,
	sealTo,
	openSealed,
	type BoxKeyPair
} from './seal';
export {
	generateSignKeyPair,
	signKeyPairFromSeed,
	signSeedOf,
	signDetached,
	verifyDetached,
	isValidSignature,
	SIGNATURE_BYTES,
	type SignKeyPair
} from './sign';
export {
	encryptEnvelope,
	decryptEnvelope,
	ENVELOPE_NONCE_BYTES,
	type SealedEnvelope
} from './envelope';
export {
	FILE_CHUNK_SIZE,
	FILE_HEADER_BYTES,
	FILE_CHUNK_OVERHEAD,
	encryptedSize
} from './file-format';
export {
	createEncryptStream,
	createDecryptStream,
	encryptFile,
	decryptFile,
	fileSubkeys,
	type FileSubkeys,
	type FileStreamOptions
} from './file-stream';
export {
	createStreamHeader,
	EncryptedFileSource,
	PlaintextChangedError,
	type EncryptedFileSourceOptions,
	type PlaintextSource,
	type RandomAccessReader
} from './file-source';
// Recovery words (./recovery) are imported from their own module, never from here: the word list
// then loads only with sign-up and recovery.
export { verificationId } from './verification';
export {
	newLinkSecret,
	encodeLinkSecret,
	decodeLinkSecret,
	deriveLinkSeed,
	linkKeysFromSeed,
	type LinkKeys,
	type LinkPassword
} from './link';

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for tokens at rest. Each value gets a fresh random 96-bit nonce (the earlier service reused
 * one fixed IV for every value, which breaks GCM outright), and records the id of the key that wrote it,
 * so keys can rotate: old values still decrypt with a previous key, new writes use the current one.
 *
 * Stored form: `v1.<keyId>.<nonce>.<ciphertext>.<tag>` (base64url parts). The key id is derived from the key
 * itself, so configuration needs no separate id and two different keys cannot share one.
 */
const FORMAT_VERSION = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class TokenCipherError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenCipherError';
  }
}

export interface TokenCipher {
  readonly currentKeyId: string;
  encrypt(plaintext: string): string;
  /** Throws TokenCipherError when the value was tampered with, is malformed, or its key is unknown. */
  decrypt(stored: string): string;
  /** True when the value was written under a previous key and should be moved forward. */
  needsReencryption(stored: string): boolean;
  /** Decrypts with whichever key wrote it and encrypts again under the current key. */
  reencrypt(stored: string): string;
}

export interface TokenCipherKeys {
  /** 64 hex characters. */
  key: string;
  previousKeys?: readonly string[];
}

export function deriveKeyId(hexKey: string): string {
  return createHash('sha256').update(Buffer.from(hexKey, 'hex')).digest('hex').slice(0, 8);
}

export function createTokenCipher({ key, previousKeys = [] }: TokenCipherKeys): TokenCipher {
  const keys = new Map<string, Buffer>();
  for (const hexKey of [key, ...previousKeys]) keys.set(deriveKeyId(hexKey), toKeyBuffer(hexKey));
  const currentKeyId = deriveKeyId(key);

  const encrypt = (plaintext: string): string => {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', keys.get(currentKeyId)!, nonce, {
      authTagLength: TAG_BYTES,
    });
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT_VERSION, currentKeyId, nonce, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  };

  const decrypt = (stored: string): string => {
    const { keyId, nonce, ciphertext, tag } = parse(stored);
    const keyBuffer = keys.get(keyId);
    if (!keyBuffer) throw new TokenCipherError(`token was encrypted with an unknown key (id ${keyId})`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', keyBuffer, nonce, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new TokenCipherError('token failed authentication: it was tampered with or corrupted');
    }
  };

  return {
    currentKeyId,
    encrypt,
    decrypt,
    needsReencryption: (stored) => parse(stored).keyId !== currentKeyId,
    reencrypt: (stored) => encrypt(decrypt(stored)),
  };
}

function toKeyBuffer(hexKey: string): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(hexKey))
    throw new TokenCipherError('encryption keys must be 64 hex characters');
  return Buffer.from(hexKey, 'hex');
}

function parse(stored: string): { keyId: string; nonce: Buffer; ciphertext: Buffer; tag: Buffer } {
  const parts = typeof stored === 'string' ? stored.split('.') : [];
  if (parts.length !== 5 || parts[0] !== FORMAT_VERSION) {
    throw new TokenCipherError('value is not an encrypted token in a known format');
  }
  const [, keyId, nonce, ciphertext, tag] = parts;
  const decoded = {
    keyId,
    nonce: fromBase64Url(nonce),
    ciphertext: fromBase64Url(ciphertext),
    tag: fromBase64Url(tag),
  };
  if (decoded.nonce.length !== NONCE_BYTES || decoded.tag.length !== TAG_BYTES) {
    throw new TokenCipherError('value is not an encrypted token in a known format');
  }
  return decoded;
}

function fromBase64Url(part: string): Buffer {
  if (!/^[A-Za-z0-9_-]*$/.test(part))
    throw new TokenCipherError('value is not an encrypted token in a known format');
  return Buffer.from(part, 'base64url');
}

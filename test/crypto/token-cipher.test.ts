import { createTokenCipher, deriveKeyId, TokenCipherError } from '../../src/crypto/token-cipher';

const KEY_A = 'a'.repeat(64);
const KEY_B = '0123456789abcdef'.repeat(4);
const TOKEN = 'IGAAexampleLongLivedToken-1234567890';

describe('token cipher', () => {
  const cipher = createTokenCipher({ key: KEY_A });

  it('round-trips a token', () => {
    expect(cipher.decrypt(cipher.encrypt(TOKEN))).toBe(TOKEN);
  });

  it('never stores the plaintext', () => {
    expect(cipher.encrypt(TOKEN)).not.toContain(TOKEN);
  });

  it('encrypts the same token differently every time (fresh random nonce)', () => {
    const first = cipher.encrypt(TOKEN);
    const second = cipher.encrypt(TOKEN);
    expect(first).not.toBe(second);
    expect(first.split('.')[2]).not.toBe(second.split('.')[2]);
    expect(Buffer.from(first.split('.')[2], 'base64url')).toHaveLength(12);
  });

  it.each([
    ['ciphertext', 3],
    ['tag', 4],
    ['nonce', 2],
  ])('rejects a value whose %s was tampered with', (_part, index) => {
    const parts = cipher.encrypt(TOKEN).split('.');
    const bytes = Buffer.from(parts[index], 'base64url');
    bytes[0] ^= 0x01;
    parts[index] = bytes.toString('base64url');
    expect(() => cipher.decrypt(parts.join('.'))).toThrow(TokenCipherError);
  });

  it('rejects malformed values instead of returning garbage', () => {
    for (const value of ['', 'plain-token', 'v1.x.y', 'v2.a.b.c.d', `v1.${deriveKeyId(KEY_A)}.!!.??.**`]) {
      expect(() => cipher.decrypt(value)).toThrow(TokenCipherError);
    }
  });

  it('errors never contain the token', () => {
    const stored = cipher.encrypt(TOKEN);
    const other = createTokenCipher({ key: KEY_B });
    try {
      other.decrypt(stored);
      throw new Error('expected decrypt to fail');
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(TOKEN);
    }
  });

  describe('key rotation', () => {
    const oldCipher = createTokenCipher({ key: KEY_A });
    const rotated = createTokenCipher({ key: KEY_B, previousKeys: [KEY_A] });

    it('still decrypts values written under a previous key', () => {
      expect(rotated.decrypt(oldCipher.encrypt(TOKEN))).toBe(TOKEN);
    });

    it('writes new values under the current key', () => {
      const stored = rotated.encrypt(TOKEN);
      expect(stored.split('.')[1]).toBe(deriveKeyId(KEY_B));
      expect(rotated.needsReencryption(stored)).toBe(false);
      expect(() => oldCipher.decrypt(stored)).toThrow(TokenCipherError);
    });

    it('re-encrypts old values forward so the previous key can be retired', () => {
      const old = oldCipher.encrypt(TOKEN);
      expect(rotated.needsReencryption(old)).toBe(true);
      const moved = rotated.reencrypt(old);
      expect(rotated.needsReencryption(moved)).toBe(false);
      expect(createTokenCipher({ key: KEY_B }).decrypt(moved)).toBe(TOKEN);
    });

    it('refuses a value whose key is not configured', () => {
      expect(() => createTokenCipher({ key: KEY_B }).decrypt(oldCipher.encrypt(TOKEN))).toThrow(
        /unknown key/,
      );
    });
  });
});

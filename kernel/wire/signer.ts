import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HMAC signer for Jupyter messages. An empty key means the connection is
 * unsigned: every signature is the empty string and verification accepts all.
 */
export class Signer {
  private readonly key: Buffer;
  private readonly scheme: string;

  constructor(key: string, scheme = 'hmac-sha256') {
    this.key = Buffer.from(key, 'utf8');
    const match = /^hmac-(.+)$/.exec(scheme);
    if (!match) {
      throw new Error(`Unsupported signature scheme: ${scheme}`);
    }
    this.scheme = match[1];
  }

  get signed(): boolean {
    return this.key.length > 0;
  }

  sign(parts: readonly Uint8Array[]): string {
    if (!this.signed) {
      return '';
    }
    const hmac = createHmac(this.scheme, this.key);
    for (const part of parts) {
      hmac.update(part);
    }
    return hmac.digest('hex');
  }

  /** Constant-time comparison: a timing side channel would leak the expected digest. */
  verify(signature: Uint8Array, parts: readonly Uint8Array[]): boolean {
    if (!this.signed) {
      return true;
    }
    const expected = Buffer.from(this.sign(parts), 'utf8');
    if (signature.length !== expected.length) {
      return false;
    }
    return timingSafeEqual(Buffer.from(signature), expected);
  }
}

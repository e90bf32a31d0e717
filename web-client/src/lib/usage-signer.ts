/**
 * The page's per-session signing key for its usage record: an ECDSA P-256 pair made with WebCrypto
 * before placement, whose public half the control plane binds to the session. The private half
 * cannot be exported, so nothing else (the node least of all) can sign as this player.
 */
import { canonicalJson } from '../../../protocol/canonical-json.js';
import type { PlayerUsageKey, PlayerUsagePayload, SignedPlayerUsage } from '../../../protocol/metering.js';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;

export class UsageSigner {
  private constructor(
    readonly publicKey: PlayerUsageKey,
    private readonly privateKey: CryptoKey,
  ) {}

  static async create(): Promise<UsageSigner> {
    const pair = await crypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify']);
    const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
    if (jwk.x === undefined || jwk.y === undefined) throw new Error('WebCrypto exported a P-256 key without coordinates');
    return new UsageSigner({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, pair.privateKey);
  }

  async sign(payload: PlayerUsagePayload): Promise<SignedPlayerUsage> {
    const bytes = new TextEncoder().encode(canonicalJson(payload));
    const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, this.privateKey, bytes);
    return { payload, signature: base64Url(new Uint8Array(signature)) };
  }
}

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

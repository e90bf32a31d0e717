import { generateKeyPairSync } from 'node:crypto';
import { errors, importJWK, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { PROBE_TOKEN_ISSUER } from '../../../protocol/placement.js';
import { TICKET_ISSUER } from '../../../protocol/ticket.js';
import { issueProbeToken } from '../../../services/matchmaker/probe-tokens.js';
import { TicketIssuer } from '../../../services/tickets/ticket-issuer.js';

describe('probe tokens', () => {
  const request = { placementId: 'pl1', playerId: 'p1', nodeIds: ['na', 'nb'], expiresAt: Date.now() + 30_000 };

  it('name the player, the placement and every offered node, signed with the ticket key', async () => {
    const issuer = await TicketIssuer.create();
    const token = issueProbeToken(issuer, request);
    const key = await importJWK(issuer.publicJwk, 'EdDSA');
    for (const nodeId of request.nodeIds) {
      const { payload, protectedHeader } = await jwtVerify(token, key, { issuer: PROBE_TOKEN_ISSUER, audience: nodeId, algorithms: ['EdDSA'] });
      expect(protectedHeader.kid).toBe(issuer.publicJwk.kid);
      expect(payload).toMatchObject({ sub: 'p1', pid: 'pl1', aud: ['na', 'nb'] });
      expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(30);
    }
  });

  it('are refused by a node not offered, after expiry, when forged, and as session tickets', async () => {
    const issuer = await TicketIssuer.create();
    const key = await importJWK(issuer.publicJwk, 'EdDSA');
    const token = issueProbeToken(issuer, request);
    await expect(jwtVerify(token, key, { issuer: PROBE_TOKEN_ISSUER, audience: 'nother' })).rejects.toThrow(errors.JWTClaimValidationFailed);
    await expect(jwtVerify(token, key, { issuer: TICKET_ISSUER, audience: 'na' })).rejects.toThrow(errors.JWTClaimValidationFailed);

    const expired = issueProbeToken(issuer, { ...request, expiresAt: Date.now() - 60_000 });
    await expect(jwtVerify(expired, key, { issuer: PROBE_TOKEN_ISSUER, audience: 'na' })).rejects.toThrow(errors.JWTExpired);

    const stranger = generateKeyPairSync('ed25519');
    const forged = await new SignJWT({ pid: 'pl1' })
      .setProtectedHeader({ alg: 'EdDSA', kid: issuer.publicJwk.kid })
      .setIssuer(PROBE_TOKEN_ISSUER)
      .setAudience(['na'])
      .setSubject('p1')
      .setExpirationTime('30s')
      .sign(stranger.privateKey);
    await expect(jwtVerify(forged, key, { issuer: PROBE_TOKEN_ISSUER, audience: 'na' })).rejects.toThrow(errors.JWSSignatureVerificationFailed);
  });
});

/**
 * Tokens the control plane signs with its ticket key (session tickets, probe tokens) are checked
 * the same way on the node: EdDSA only, the expected issuer, the node's clock, and jose's
 * failures mapped onto the caller's two catalogued codes.
 */
import { errors as joseErrors, importJWK, jwtVerify, type JWK, type JWTPayload, type KeyObject } from 'jose';
import { AppError, type ErrorCode } from '../../protocol/errors.js';
import { TICKET_ALG } from '../../protocol/ticket.js';

export type ControlPlaneKey = KeyObject | Uint8Array;

export function importControlPlaneKey(publicJwk: JWK): Promise<ControlPlaneKey> {
  return importJWK(publicJwk, TICKET_ALG);
}

export interface ControlPlaneJwtCheck {
  issuer: string;
  requiredClaims: string[];
  now: number;
  codes: { expired: ErrorCode; invalid: ErrorCode };
}

export async function verifyControlPlaneJwt(token: string, key: ControlPlaneKey, check: ControlPlaneJwtCheck): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [TICKET_ALG],
      issuer: check.issuer,
      currentDate: new Date(check.now),
      requiredClaims: check.requiredClaims,
    });
    return payload;
  } catch (error) {
    throw new AppError(error instanceof joseErrors.JWTExpired ? check.codes.expired : check.codes.invalid);
  }
}

/**
 * The API authenticates with bearer tokens, never cookies, so any origin may call it: the page
 * can be served from the control plane, a CDN, or a developer's machine.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

const PREFLIGHT_MAX_AGE_S = 600;

export async function addCorsHeaders(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header('access-control-allow-origin', '*');
}

export async function answerPreflight(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply
    .header('access-control-allow-methods', 'GET, HEAD, POST, DELETE, OPTIONS')
    .header('access-control-allow-headers', 'authorization, content-type')
    .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_S))
    .status(204)
    .send();
}

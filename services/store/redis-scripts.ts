/**
 * The Redis store's atomic operations. Each script touches only one node's keys
 * (KEYS[1] node hash, KEYS[2] reservations sorted set, KEYS[3] busy set), which share a hash tag,
 * so they run unchanged on Redis Cluster. Reservation expiry uses the server clock (TIME), the
 * one clock every control plane instance shares. The slot keys expire with the node hash, so a
 * node that stops heartbeating leaves nothing behind.
 */
import { LuaScript } from './lua-script.js';

const NOW_MS = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;

const PURGE_EXPIRED_RESERVATIONS = `
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
`;

const FOLLOW_NODE_TTL = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
`;

/** ARGV: record JSON, slots, lastHeartbeatAt, operatorId, ttlMs. Returns the UpsertNodeOutcome. */
export const upsertNodeScript = new LuaScript(`
local outcome = 'refreshed'
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2], KEYS[3])
  outcome = 'created'
elseif redis.call('HGET', KEYS[1], 'operator') ~= ARGV[4] then
  return 'operator_mismatch'
end
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'slots', ARGV[2], 'hb', ARGV[3], 'operator', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
${FOLLOW_NODE_TTL}
return outcome
`);

/** ARGV: seq, lastHeartbeatAt, ttlMs. Returns the HeartbeatOutcome. */
export const acceptHeartbeatScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown_node' end
local last = tonumber(redis.call('HGET', KEYS[1], 'seq'))
if last and tonumber(ARGV[1]) <= last then return 'replayed' end
redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'hb', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
${FOLLOW_NODE_TTL}
return 'accepted'
`);

/**
 * ARGV: sessionId, ttlMs. Returns the reservation's expiry, or false when the node is unknown,
 * the session already holds a busy slot, or no slot is free.
 */
export const reserveSlotScript = new LuaScript(`
local slots = tonumber(redis.call('HGET', KEYS[1], 'slots'))
if not slots then return false end
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return false end
${NOW_MS}
${PURGE_EXPIRED_RESERVATIONS}
local inUse = redis.call('ZCARD', KEYS[2]) + redis.call('SCARD', KEYS[3])
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) and inUse >= slots then return false end
local expiresAt = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[2], expiresAt, ARGV[1])
${FOLLOW_NODE_TTL}
return expiresAt
`);

/** ARGV: sessionId. Returns 1 when the session holds a busy slot now, 0 when it has no live reservation. */
export const activateSessionScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return 1 end
${NOW_MS}
${PURGE_EXPIRED_RESERVATIONS}
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('SADD', KEYS[3], ARGV[1])
${FOLLOW_NODE_TTL}
return 1
`);

/** ARGV: sessionId. Returns how many slots the session held (0 or 1). */
export const releaseSlotScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('ZREM', KEYS[2], ARGV[1]) + redis.call('SREM', KEYS[3], ARGV[1])
`);

/** Returns { registered slots, reserved, busy }; zeros for an unknown node. */
export const nodeSlotsScript = new LuaScript(`
local slots = tonumber(redis.call('HGET', KEYS[1], 'slots'))
if not slots then return { 0, 0, 0 } end
${NOW_MS}
${PURGE_EXPIRED_RESERVATIONS}
return { slots, redis.call('ZCARD', KEYS[2]), redis.call('SCARD', KEYS[3]) }
`);

/**
 * KEYS[1]: the session hash. ARGV[1]: the allowed current states, comma separated; then field/value
 * pairs to set. Returns the updated hash (HGETALL), or false when the session is gone or in another state.
 */
export const transitionSessionScript = new LuaScript(`
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return false end
local allowed = false
for candidate in string.gmatch(ARGV[1], '[^,]+') do
  if candidate == state then allowed = true end
end
if not allowed then return false end
if #ARGV > 1 then redis.call('HSET', KEYS[1], unpack(ARGV, 2)) end
return redis.call('HGETALL', KEYS[1])
`);

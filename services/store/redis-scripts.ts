/**
 * The Redis store's atomic operations. Each script touches the keys of one hash tag only, so they
 * run unchanged on Redis Cluster: a node's scripts take its keys (KEYS[1] node hash, KEYS[2]
 * reservations sorted set, KEYS[3] busy set, KEYS[4] cached builds set, KEYS[5] reputation, KEYS[6]
 * booked set: every session reserved or busy on the node), a
 * cell's take its keys (KEYS[1] GEO set, KEYS[2] index entries), a queue's take its keys. Expiry
 * uses the server clock (TIME), the one clock every control plane instance shares. A node's keys
 * expire with its hash, except its reputation, which must outlive a silent spell, so a node that
 * stops heartbeating leaves no slots behind, and its booked set, which names the sessions whose
 * records must end when the node is gone (takeOrphansScript).
 *
 * A node's index entry is what a search needs to know of it, copied into each of its cells so that
 * one script per cell answers a search without reading any node's own keys (which live on other
 * Cluster slots). Every script that changes what the entry says returns the new entry and the
 * node's cells; the store then writes it to those cells. The copy can lag a concurrent change by
 * one write, and a heartbeat rewrites it at least every half TTL; it only steers the search: slots
 * are taken by reserveSlotScript on the node's own keys.
 */
import { LuaScript } from './lua-script.js';
import { DEPARTURE_INTERVAL_CAP_MS, DEPARTURE_INTERVAL_WEIGHT } from './store.js';

/** The channel (after the key prefix) on which node scripts publish index entries. */
export const INDEX_CHANNEL = 'index-entries';

const NOW_MS = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;

const PURGE_EXPIRED_RESERVATIONS = `
local lapsedReservations = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
if #lapsedReservations > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  redis.call('SREM', KEYS[6], unpack(lapsedReservations))
end
`;

/**
 * Defines entry(), the node's index entry as one string, tab separated: live until (ms), registered
 * slots, busy, reputation ('' for the default), live reservation expiries (comma separated),
 * cached builds (comma separated), summary JSON. Marks the node indexed now, and publishes
 * "<node id>\n<cells>\n<entry>" on the deployment's INDEX_CHANNEL for the instances' index
 * replicas: published here, a node's entries reach every subscriber in the order its scripts ran.
 * Needs NOW_MS.
 */
const INDEX_ENTRY = `
local function entry()
  local fields = redis.call('HMGET', KEYS[1], 'summary', 'slots', 'cells')
  local expiries = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf', 'WITHSCORES')
  local live = {}
  for i = 2, #expiries, 2 do live[#live + 1] = expiries[i] end
  local liveUntil = string.format('%d', now + redis.call('PTTL', KEYS[1]))
  redis.call('HSET', KEYS[1], 'indexedAt', now, 'liveUntil', liveUntil)
  local text = liveUntil .. '\t' .. fields[2] .. '\t' .. redis.call('SCARD', KEYS[3]) .. '\t' ..
    (redis.call('GET', KEYS[5]) or '') .. '\t' .. table.concat(live, ',') .. '\t' .. table.concat(redis.call('SMEMBERS', KEYS[4]), ',') .. '\t' .. fields[1]
  local prefix, nodeId = string.match(KEYS[1], '^(.*){node:(.*)}:node$')
  redis.call('PUBLISH', prefix .. '${INDEX_CHANNEL}', nodeId .. '\\n' .. fields[3] .. '\\n' .. text)
  return { text, fields[3] }
end
`;

const FOLLOW_NODE_TTL = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
  redis.call('PEXPIRE', KEYS[4], ttl)
end
`;

/**
 * ARGV: record JSON, slots, lastHeartbeatAt, operatorId, ttlMs, summary JSON, index cells (comma
 * separated), default reputation, then the cached build ids. Returns { UpsertNodeOutcome, the
 * cells the node was indexed in before ('' when new), index entry, cells }.
 */
export const upsertNodeScript = new LuaScript(`
local previousCells = ''
local outcome = 'refreshed'
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2], KEYS[3])
  outcome = 'created'
elseif redis.call('HGET', KEYS[1], 'operator') ~= ARGV[4] then
  return { 'operator_mismatch', '' }
else
  previousCells = redis.call('HGET', KEYS[1], 'cells') or ''
end
${NOW_MS}
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'slots', ARGV[2], 'hb', ARGV[3], 'operator', ARGV[4], 'summary', ARGV[6], 'cells', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('HDEL', KEYS[1], 'builds')
redis.call('DEL', KEYS[4])
for i = 9, #ARGV do redis.call('SADD', KEYS[4], ARGV[i]) end
redis.call('SET', KEYS[5], ARGV[8], 'NX')
${FOLLOW_NODE_TTL}
${INDEX_ENTRY}
return { outcome, previousCells, unpack(entry()) }
`);

/**
 * ARGV: seq, lastHeartbeatAt, ttlMs, how often (ms) the node's index entry should be rewritten,
 * the node's cached builds as a JSON list when the heartbeat reports them ('' when not), then
 * those build ids. Returns { HeartbeatOutcome }, or { 'accepted', index entry, cells } when that
 * is due: the builds changed, the interval has passed, or the entry would show the node lapsed
 * within half the TTL. Reported builds replace the set, and the hash's 'builds' field stands in
 * for the record's list (until the node registers again).
 */
export const acceptHeartbeatScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return { 'unknown_node' } end
local last = tonumber(redis.call('HGET', KEYS[1], 'seq'))
if last and tonumber(ARGV[1]) <= last then return { 'replayed' } end
redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'hb', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local buildsReported = ARGV[5] ~= ''
if buildsReported then
  redis.call('HSET', KEYS[1], 'builds', ARGV[5])
  redis.call('DEL', KEYS[4])
  for i = 6, #ARGV do redis.call('SADD', KEYS[4], ARGV[i]) end
end
${FOLLOW_NODE_TTL}
${NOW_MS}
local indexed = redis.call('HMGET', KEYS[1], 'indexedAt', 'liveUntil')
if not buildsReported and tonumber(indexed[1] or 0) + tonumber(ARGV[4]) > now and tonumber(indexed[2] or 0) > now + tonumber(ARGV[3]) / 2 then return { 'accepted' } end
${INDEX_ENTRY}
return { 'accepted', unpack(entry()) }
`);

/**
 * ARGV: sessionId, ttlMs. Returns { the reservation's expiry, index entry, cells }, or false when
 * the node is unknown, the session already holds a busy slot, or no slot is free.
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
redis.call('SADD', KEYS[6], ARGV[1])
${FOLLOW_NODE_TTL}
${INDEX_ENTRY}
return { expiresAt, unpack(entry()) }
`);

/**
 * ARGV: sessionId. Returns { 1, index entry, cells } when the reservation became a busy slot now,
 * { 1 } when the session already held one, { 0 } when it has no live reservation.
 */
export const activateSessionScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return { 0 } end
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return { 1 } end
${NOW_MS}
${PURGE_EXPIRED_RESERVATIONS}
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return { 0 } end
redis.call('SADD', KEYS[3], ARGV[1])
${FOLLOW_NODE_TTL}
${INDEX_ENTRY}
return { 1, unpack(entry()) }
`);

/** ARGV: sessionId. Returns { 1, index entry, cells } when the session held a slot, { 0 } when not. */
export const releaseSlotScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return { 0 } end
redis.call('SREM', KEYS[6], ARGV[1])
if redis.call('ZREM', KEYS[2], ARGV[1]) + redis.call('SREM', KEYS[3], ARGV[1]) == 0 then return { 0 } end
${NOW_MS}
${INDEX_ENTRY}
return { 1, unpack(entry()) }
`);

/**
 * ARGV: '1' when authoritative (a registration), then the ids of the sessions the node runs.
 * Returns { released ids, unknown ids, index entry, cells } (no entry when nothing changed); see
 * Store.reconcileNodeSessions. The busy sessions the last report left out are the node hash's
 * 'missing' field (comma separated).
 */
export const reconcileNodeSessionsScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return { {}, {} } end
${NOW_MS}
${PURGE_EXPIRED_RESERVATIONS}
local authoritative = ARGV[1] == '1'
local runs = {}
for i = 2, #ARGV do runs[ARGV[i]] = true end
local wasMissing = {}
for id in string.gmatch(redis.call('HGET', KEYS[1], 'missing') or '', '[^,]+') do wasMissing[id] = true end
local released, missing = {}, {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[6])) do
  if not runs[id] and not redis.call('ZSCORE', KEYS[2], id) then
    if authoritative or wasMissing[id] then released[#released + 1] = id else missing[#missing + 1] = id end
  end
end
for _, id in ipairs(released) do
  redis.call('SREM', KEYS[3], id)
  redis.call('SREM', KEYS[6], id)
end
redis.call('HSET', KEYS[1], 'missing', table.concat(missing, ','))
local unknown, activated = {}, 0
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('ZREM', KEYS[2], id) == 1 then
    redis.call('SADD', KEYS[3], id)
    activated = activated + 1
  elseif redis.call('SISMEMBER', KEYS[3], id) == 0 then
    unknown[#unknown + 1] = id
  end
end
if #released == 0 and activated == 0 then return { released, unknown } end
${FOLLOW_NODE_TTL}
${INDEX_ENTRY}
return { released, unknown, unpack(entry()) }
`);

/** ARGV: the session ids to count busy. Returns { index entry, cells } while the node is live, else an empty reply. */
export const adoptSessionsScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
for i = 1, #ARGV do
  redis.call('ZREM', KEYS[2], ARGV[i])
  redis.call('SADD', KEYS[3], ARGV[i])
  redis.call('SADD', KEYS[6], ARGV[i])
end
${FOLLOW_NODE_TTL}
${NOW_MS}
${INDEX_ENTRY}
return entry()
`);

/** Returns the node's booked sessions and forgets them, once the node is gone; an empty reply while it is live. */
export const takeOrphansScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return {} end
local booked = redis.call('SMEMBERS', KEYS[6])
redis.call('DEL', KEYS[6])
return booked
`);

/** ARGV: reputation. Returns { index entry, cells } while the node is live, else an empty reply. */
export const setReputationScript = new LuaScript(`
redis.call('SET', KEYS[5], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
${NOW_MS}
${INDEX_ENTRY}
return entry()
`);

/**
 * Cell keys of one or more cells (in a Cluster, of one slot). ARGV: nodeId, index entry. Rewrites
 * the node's entry in each cell that still lists it: a node dropped from a cell meanwhile (expired,
 * or moved) gets no entry there that nothing would ever read or delete.
 */
export const putEntriesScript = new LuaScript(`
for c = 1, #KEYS, 2 do
  if redis.call('ZSCORE', KEYS[c], ARGV[1]) then redis.call('HSET', KEYS[c + 1], ARGV[1], ARGV[2]) end
end
return 0
`);

/** Cell keys. ARGV: lng, lat, nodeId, index entry. */
export const putIndexEntryScript = new LuaScript(`
redis.call('GEOADD', KEYS[1], ARGV[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
return 0
`);

/** Cell keys. ARGV: the node ids to drop from the cell. */
export const dropIndexEntriesScript = new LuaScript(`
redis.call('ZREM', KEYS[1], unpack(ARGV))
redis.call('HDEL', KEYS[2], unpack(ARGV))
return 0
`);

/**
 * Cell keys of one or more cells (two keys each; in a Cluster, cells whose keys share a slot).
 * ARGV: lng, lat, radius km, count, equivalent km, equivalent ratio. Each cell's nearest count
 * nodes within the radius, where nodes within the equivalent distance of the centre, or (ratio > 1)
 * whose distances differ by less than the ratio, may stand in for each other. With a ratio it
 * searches with GEOSEARCH ... ANY, which stops once it has count nodes: a search that finds fewer
 * has found every node within its radius. So it narrows the step between a radius that held fewer
 * and one that held enough until the two differ by at most the ratio, and returns every node
 * nearer than the first and the rest from between the two: no crowded city is ever sorted.
 * Of all the cells' answers (each sorted nearest first) it keeps the count nearest, since a search
 * reads count nodes at a time and most searches look at no more: the rest would be read, sent and
 * parsed for nothing. Returns { now (server ms), the radius within which every node was returned
 * (up to equivalence; '' for the whole radius), then per node kept, nearest first: { id, distance km, the index (1-based)
 * of its cell }, then their index entries (false where missing or the node's TTL has passed) }.
 */
export const searchCellsScript = new LuaScript(`
local lng, lat, radius, count = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local equivalent, ratio = tonumber(ARGV[5]), tonumber(ARGV[6])
local function searchCell(nodesKey)
  local function search(r, any)
    if any then return redis.call('GEOSEARCH', nodesKey, 'FROMLONLAT', lng, lat, 'BYRADIUS', r, 'km', 'ASC', 'COUNT', count, 'ANY', 'WITHDIST') end
    return redis.call('GEOSEARCH', nodesKey, 'FROMLONLAT', lng, lat, 'BYRADIUS', r, 'km', 'ASC', 'COUNT', count, 'WITHDIST')
  end
  -- inner: every node within lo; outer: count nodes within hi, exactly the nearest unless found by ANY
  local lo, inner, hi, outer, anyOuter = 0, {}, 0, nil, false
  if equivalent > 0 then
    local hits = search(equivalent, true)
    if #hits >= count then
      hi, outer, anyOuter = equivalent, hits, true
    else
      lo, inner = equivalent, hits
    end
  end
  if not outer and lo < radius then
    local hits = search(radius, ratio > 1)
    if #hits >= count then
      hi, outer, anyOuter = radius, hits, ratio > 1
    else
      lo, inner = radius, hits
    end
  end
  local banded = 0
  if outer then
    if ratio > 1 then
      -- narrow (lo, hi] until hi / lo is at most the ratio, or hi within the equivalent distance;
      -- a crowd on the player's own point would halve hi forever, hence the cap on steps
      local steps = 0
      while hi > equivalent and hi > ratio * lo and steps < 12 do
        local mid = lo > 0 and math.sqrt(lo * hi) or hi / 2
        local hits = search(mid, true)
        if #hits >= count then hi, outer = mid, hits else lo, inner = mid, hits end
        steps = steps + 1
      end
    end
    if anyOuter then
      -- every node within lo, then any of those between lo and hi
      banded = hi
      local taken = {}
      for _, hit in ipairs(inner) do taken[hit[1]] = true end
      for _, hit in ipairs(outer) do
        if #inner >= count then break end
        if not taken[hit[1]] then inner[#inner + 1] = hit end
      end
    else
      inner = outer
    end
  end
  return banded, inner
end
-- complete: every node nearer than this was found (a full cell's answer ends at its last node)
local complete = radius
local lists, heads = {}, {}
for c = 1, #KEYS / 2 do
  local banded, hits = searchCell(KEYS[2 * c - 1])
  if banded > 0 then complete = math.min(complete, banded)
  elseif #hits >= count then complete = math.min(complete, tonumber(hits[#hits][2])) end
  lists[c], heads[c] = hits, 1
end
-- merge the sorted lists, keeping the count nearest (each hit gains its cell's index)
local headDistance = {}
for c, hits in ipairs(lists) do headDistance[c] = hits[1] and tonumber(hits[1][2]) end
local kept, lastKept = {}, 0
while #kept < count do
  local best, bestDistance = nil, math.huge
  for c = 1, #lists do
    local d = headDistance[c]
    if d and d < bestDistance then best, bestDistance = c, d end
  end
  if not best then break end
  local hits, head = lists[best], heads[best]
  hits[head][3] = best
  kept[#kept + 1], lastKept = hits[head], bestDistance
  heads[best] = head + 1
  headDistance[best] = hits[head + 1] and tonumber(hits[head + 1][2])
end
-- a node left out is no nearer than the last one kept
for c = 1, #lists do
  if headDistance[c] then complete = math.min(complete, lastKept) end
end
local ids, at = {}, {}
for i, hit in ipairs(kept) do
  local c = hit[3]
  ids[c] = ids[c] or {}
  ids[c][#ids[c] + 1] = hit[1]
  at[c] = at[c] or {}
  at[c][#at[c] + 1] = i
end
local entries = {}
for i = 1, #kept do entries[i] = false end
for c, cellIds in pairs(ids) do
  local found = redis.call('HMGET', KEYS[2 * c], unpack(cellIds))
  for j, i in ipairs(at[c]) do entries[i] = found[j] end
end
${NOW_MS}
-- '' for the whole radius: tostring keeps 14 digits, which would make a radius look cut short
return { now, complete < radius and tostring(complete) or '', kept, entries }
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
 * Node keys of one or more nodes (six each; in a Cluster, one node). ARGV: buildId. Returns per
 * node { summary JSON, registered slots, live reservations, busy, 1 when the build is cached,
 * reputation or false }, or false for an unknown node: a player's choice reads every node offered
 * to them in one call. It only reads (counting the live reservations rather than purging the
 * lapsed ones), since it runs for many nodes.
 */
export const nodeSummariesScript = new LuaScript(`
${NOW_MS}
local summaries = {}
for n = 1, #KEYS / 6 do
  local k = (n - 1) * 6
  local fields = redis.call('HMGET', KEYS[k + 1], 'summary', 'slots')
  if fields[1] then
    summaries[n] = { fields[1], tonumber(fields[2]), redis.call('ZCOUNT', KEYS[k + 2], '(' .. now, '+inf'),
      redis.call('SCARD', KEYS[k + 3]), redis.call('SISMEMBER', KEYS[k + 4], ARGV[1]), redis.call('GET', KEYS[k + 5]) }
  else
    summaries[n] = false
  end
end
return summaries
`);

/**
 * KEYS[1]: a hash with a 'state' field. ARGV[1]: the allowed current states, comma separated;
 * ARGV[2]: a new TTL in ms, or '' to keep it; then field/value pairs to set. Returns the updated
 * hash (HGETALL), or false when the hash is gone or in another state.
 */
export const transitionHashScript = new LuaScript(`
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return false end
local allowed = false
for candidate in string.gmatch(ARGV[1], '[^,]+') do
  if candidate == state then allowed = true end
end
if not allowed then return false end
if #ARGV > 2 then redis.call('HSET', KEYS[1], unpack(ARGV, 3)) end
if ARGV[2] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('HGETALL', KEYS[1])
`);

/** KEYS[1]: a record's hash. ARGV: ttlMs, then its fields and values. Replaces the record whole, in one command. */
export const putHashScript = new LuaScript(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 0
`);

/** KEYS[1]: the player's claim. ARGV: placementId (or session id), ttlMs, the holder it may replace ('' for none). Returns false once claimed, else the holder. */
export const claimPlayerScript = new LuaScript(`
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] and holder ~= ARGV[3] then return holder end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`);

/** KEYS[1]: the player's claim. ARGV: placementId. */
export const releasePlayerScript = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`);

/**
 * A queue's keys: KEYS[1] the entries by arrival number, KEYS[2] the entries by when they lapse,
 * KEYS[3] a hash of 'seq' (arrivals so far), 'last' (when a player last left, or the queue last
 * filled from empty), 'mean' (the mean departure interval: store.ts). Every queue script first
 * drops the lapsed entries, which are departures too.
 */
const PURGE_LAPSED_ENTRIES = `
${NOW_MS}
local function depart()
  local last = tonumber(redis.call('HGET', KEYS[3], 'last'))
  if last then
    local gap = math.min(math.max(now - last, 0), ${DEPARTURE_INTERVAL_CAP_MS})
    local mean = tonumber(redis.call('HGET', KEYS[3], 'mean'))
    if mean then mean = mean + ${DEPARTURE_INTERVAL_WEIGHT} * (gap - mean) else mean = gap end
    redis.call('HSET', KEYS[3], 'mean', string.format('%.3f', mean))
  end
  redis.call('HSET', KEYS[3], 'last', now)
end
for _, lapsed in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  redis.call('ZREM', KEYS[1], lapsed)
  redis.call('ZREM', KEYS[2], lapsed)
  depart()
end
`;

/** Queue statistics live as long as the queue is in use, and a day after. */
const QUEUE_STATS_TTL_MS = 24 * 60 * 60 * 1000;

const STANDING = `
redis.call('PEXPIRE', KEYS[3], ${QUEUE_STATS_TTL_MS})
return { redis.call('ZRANK', KEYS[1], ARGV[1]) + 1, redis.call('ZCARD', KEYS[1]), redis.call('HGET', KEYS[3], 'mean') }
`;

/** ARGV: placementId, entryTtlMs, maxLength. Returns { position, length, mean departure interval }, or false when full. */
export const enqueueScript = new LuaScript(`
${PURGE_LAPSED_ENTRIES}
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  local length = redis.call('ZCARD', KEYS[1])
  if length >= tonumber(ARGV[3]) then return false end
  -- an idle spell is no departure interval: the clock starts when someone waits
  if length == 0 then redis.call('HSET', KEYS[3], 'last', now) end
  redis.call('ZADD', KEYS[1], redis.call('HINCRBY', KEYS[3], 'seq', 1), ARGV[1])
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
${STANDING}
`);

/** ARGV: placementId, entryTtlMs. Returns { position, length, mean departure interval }, or false when not queued. */
export const queueStandingScript = new LuaScript(`
${PURGE_LAPSED_ENTRIES}
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return false end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
${STANDING}
`);

export const queueLengthScript = new LuaScript(`
${PURGE_LAPSED_ENTRIES}
return redis.call('ZCARD', KEYS[1])
`);

/** ARGV: placementId. A departure, placed or not. */
export const dequeueScript = new LuaScript(`
${PURGE_LAPSED_ENTRIES}
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
depart()
redis.call('PEXPIRE', KEYS[3], ${QUEUE_STATS_TTL_MS})
return 1
`);

/**
 * The Redis store's Lua scripts. Every key is under one hash tag (`{rt}:…`), passed in KEYS or
 * built from the tag (ARGV[1]) for a topic's stream, so each script touches one slot and runs on
 * Redis Cluster too. Common KEYS: 1 log, 2 seq, 3 epoch, 4 lost, 5 topics. Common ARGV: 1 tag,
 * 2 a new epoch (used only when the data set was lost).
 *
 * Layout: `log` is a stream of every event (`t`, `d`, `o`) that hub processes catch up from
 * after a missed Pub/Sub message; `h:<topic>` is one stream per topic (`d`, `o`, `ts` in ms of
 * Redis `TIME`), bounded by that topic's own count and age; `lost` maps a topic to the seq of
 * the newest event it lost to a bound; `topics` is the set of topics with a stream.
 */

// Wipes the data set (all streams, counter, lost marks) and names a new epoch.
const epochLib = `
local function wipe(tag)
  for _, topic in ipairs(redis.call('SMEMBERS', KEYS[5])) do
    redis.call('DEL', tag .. ':h:' .. topic)
  end
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[4], KEYS[5])
end
local function newEpoch(tag, epoch)
  wipe(tag)
  redis.call('SET', KEYS[3], epoch)
  return epoch
end
local epoch = redis.call('GET', KEYS[3])
if not epoch then epoch = newEpoch(ARGV[1], ARGV[2]) end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local function seqOf(id) return tonumber(string.sub(id, 3)) end
-- Drops what a topic's bounds no longer keep (count beyond limit, older than ttl ms; -1 and 0
-- mean none) and marks the newest dropped seq as lost.
local function trim(stream, topic, limit, ttl)
  local cut = nil
  if limit >= 0 then
    local extra = redis.call('XLEN', stream) - limit
    if extra > 0 then
      local old = redis.call('XRANGE', stream, '-', '+', 'COUNT', extra)
      cut = seqOf(old[#old][1])
    end
  end
  if ttl > 0 then
    local from = cut and ('0-' .. (cut + 1)) or '-'
    for _ = 1, 100 do
      local batch = redis.call('XRANGE', stream, from, '+', 'COUNT', 100)
      local stop = #batch < 100
      for _, entry in ipairs(batch) do
        local fields, ts = entry[2], nil
        for i = 1, #fields, 2 do if fields[i] == 'ts' then ts = tonumber(fields[i + 1]) end end
        if ts and now - ts > ttl then cut = seqOf(entry[1]) else stop = true break end
      end
      if stop then break end
      from = '0-' .. (cut + 1)
    end
  end
  if cut then
    redis.call('XTRIM', stream, 'MINID', '0-' .. (cut + 1))
    redis.call('HSET', KEYS[4], topic, cut)
  end
end`;

/**
 * Appends one event: epoch check, seq, log and topic stream entries, trims, fan-out message and
 * de-duplication in one atomic step, so every process sees one global order. A counter below
 * what this process has already delivered under the same epoch means the data set went back in
 * time (restored from an older snapshot): its next ids were issued before, so it becomes a new
 * epoch too. A repeated message id returns its original seq, negated, and stores nothing.
 * KEYS: log, seq, epoch, lost, topics, channel, dedup, topic stream.
 * ARGV: tag, new epoch, topic, json, origin, log limit, known epoch, seq delivered under it,
 * message id ('' when none), window (ids kept), age (ms), topic limit (-1: none), ttl (0: none).
 */
export const appendScript = `${epochLib}
if epoch == ARGV[7] and tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[8]) then
  epoch = newEpoch(ARGV[1], ARGV[2])
end
local dedup = ARGV[9] ~= ''
if dedup then
  local stored = redis.call('ZSCORE', KEYS[7], ARGV[9])
  if stored then return { epoch, -tonumber(stored) } end
end
local seq = redis.call('INCR', KEYS[2])
local id = '0-' .. seq
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[6], id, 't', ARGV[3], 'd', ARGV[4], 'o', ARGV[5])
local limit = tonumber(ARGV[12])
if limit == 0 then
  redis.call('HSET', KEYS[4], ARGV[3], seq)
else
  redis.call('XADD', KEYS[8], id, 'd', ARGV[4], 'o', ARGV[5], 'ts', now)
  redis.call('SADD', KEYS[5], ARGV[3])
  trim(KEYS[8], ARGV[3], limit, tonumber(ARGV[13]))
end
redis.call('PUBLISH', KEYS[6], cjson.encode({ epoch, seq, ARGV[3], ARGV[4], ARGV[5] }))
if dedup then
  redis.call('ZADD', KEYS[7], seq, ARGV[9])
  local extra = redis.call('ZCARD', KEYS[7]) - tonumber(ARGV[10])
  if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[7], 0, extra - 1) end
  redis.call('PEXPIRE', KEYS[7], ARGV[11])
end
return { epoch, seq }`;

/**
 * The state and the log entries after a seq, read in one atomic step (an epoch change between
 * two reads would otherwise label new entries with the old epoch).
 * KEYS: log, seq, epoch, lost, topics. ARGV: tag, new epoch, after seq, count (0: state only).
 */
export const logScript = `${epochLib}
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
local entries = {}
local after = tonumber(ARGV[3])
if tonumber(ARGV[4]) > 0 and after < seq then
  entries = redis.call('XRANGE', KEYS[1], '0-' .. (after + 1), '+', 'COUNT', ARGV[4])
end
return { epoch, seq, entries }`;

/**
 * Topics' histories in one atomic step: for each topic its lost seq and either its entries after
 * a seq (mode `after`) or its newest ones (mode `recent`), each topic trimmed to its bounds first.
 * KEYS: log, seq, epoch, lost, topics, then one stream per topic.
 * ARGV: tag, new epoch, mode, after seq, count, then per topic: name, limit, ttl.
 */
export const topicsScript = `${epochLib}
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
local count = tonumber(ARGV[5])
local out = { epoch, seq }
for i = 6, #KEYS do
  local a = 6 + (i - 6) * 3
  local topic = ARGV[a]
  trim(KEYS[i], topic, tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]))
  local entries = {}
  if count > 0 then
    if ARGV[3] == 'recent' then
      entries = redis.call('XREVRANGE', KEYS[i], '+', '-', 'COUNT', count)
    elseif tonumber(ARGV[4]) < seq then
      entries = redis.call('XRANGE', KEYS[i], '0-' .. (tonumber(ARGV[4]) + 1), '+', 'COUNT', count)
    end
  end
  out[#out + 1] = tonumber(redis.call('HGET', KEYS[4], topic) or '0')
  out[#out + 1] = entries
end
return out`;

/**
 * A data set that went back in time (restored from an older snapshot) still has its epoch but a
 * seq below what was already delivered: its ids would be issued twice. Start a new epoch, unless
 * another process already did. KEYS: log, seq, epoch, lost, topics. ARGV: tag, new epoch, old epoch.
 */
export const rotateScript = `${epochLib}
if epoch == ARGV[3] then newEpoch(ARGV[1], ARGV[2]) end
return 1`;

/**
 * Appends one value to several topics as one atomic step: every topic gets its own event (its
 * own seq, in the order given), or none does. Every key it writes is type-checked before the
 * first write: a script that fails part-way keeps what it wrote (Redis has no rollback), so the
 * only failure allowed after a write is none. A message id already in the window (per topic, as
 * for one append) answers its original seq, negated, and stores nothing for that topic.
 * KEYS: log, seq, epoch, lost, topics, channel, then per topic: dedup, topic stream.
 * ARGV: tag, new epoch, json, origin, log limit, known epoch, seq delivered under it, window,
 * age (ms), then per topic: name, message id ('' when none), limit (-1: none), ttl (0: none).
 */
export const appendManyScript = `
local expected = { [1] = 'stream', [2] = 'string', [3] = 'string', [4] = 'hash', [5] = 'set' }
for i = 1, #KEYS do
  local want = expected[i]
  if i > 6 then want = (i % 2 == 1) and 'zset' or 'stream' end
  if want then
    local kind = redis.call('TYPE', KEYS[i])['ok']
    if kind ~= 'none' and kind ~= want then
      return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' is a ' .. kind .. ', not a ' .. want)
    end
  end
end
local current = redis.call('GET', KEYS[2])
if current and not tonumber(current) then
  return redis.error_reply('ERR ' .. KEYS[2] .. ' is not a number')
end
-- XADD refuses an id at or below a stream's last one: a counter behind its streams would fail
-- part-way, so it fails here instead.
local function lastSeq(key)
  if redis.call('EXISTS', key) == 0 then return 0 end
  local info = redis.call('XINFO', 'STREAM', key)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then return tonumber(string.sub(info[i + 1], 3)) or 0 end
  end
  return 0
end
for i = 1, #KEYS do
  if (i == 1 or (i > 6 and i % 2 == 0)) and lastSeq(KEYS[i]) > tonumber(current or '0') then
    return redis.error_reply('ERR ' .. KEYS[i] .. ' is ahead of ' .. KEYS[2])
  end
end
${epochLib}
if epoch == ARGV[6] and tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[7]) then
  epoch = newEpoch(ARGV[1], ARGV[2])
end
local out = { epoch }
local messages = {}
for t = 0, (#KEYS - 6) / 2 - 1 do
  local dedupKey, stream = KEYS[7 + t * 2], KEYS[8 + t * 2]
  local topic, msg = ARGV[10 + t * 4], ARGV[11 + t * 4]
  local limit, ttl = tonumber(ARGV[12 + t * 4]), tonumber(ARGV[13 + t * 4])
  local stored = nil
  if msg ~= '' then stored = redis.call('ZSCORE', dedupKey, msg) end
  if stored then
    out[#out + 1] = -tonumber(stored)
  else
    local seq = redis.call('INCR', KEYS[2])
    local id = '0-' .. seq
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[5], id, 't', topic, 'd', ARGV[3], 'o', ARGV[4])
    if limit == 0 then
      redis.call('HSET', KEYS[4], topic, seq)
    else
      redis.call('XADD', stream, id, 'd', ARGV[3], 'o', ARGV[4], 'ts', now)
      redis.call('SADD', KEYS[5], topic)
      trim(stream, topic, limit, ttl)
    end
    messages[#messages + 1] = cjson.encode({ epoch, seq, topic, ARGV[3], ARGV[4] })
    if msg ~= '' then
      redis.call('ZADD', dedupKey, seq, msg)
      local extra = redis.call('ZCARD', dedupKey) - tonumber(ARGV[8])
      if extra > 0 then redis.call('ZREMRANGEBYRANK', dedupKey, 0, extra - 1) end
      redis.call('PEXPIRE', dedupKey, ARGV[9])
    end
    out[#out + 1] = seq
  end
end
-- Last: a PUBLISH that is refused (an ACL without the channel) then fails after every write,
-- never between two topics; the processes find the events through their gap fill.
for _, message in ipairs(messages) do redis.call('PUBLISH', KEYS[6], message) end
return out`;

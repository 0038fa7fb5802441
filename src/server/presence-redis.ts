import type { Cluster, Redis } from 'ioredis';
import { redisSeeds } from './redis-seeds.js';
import { randomBytes } from 'node:crypto';
import type { PresenceBackend, PresenceChange } from './presence-backend.js';

/**
 * Presence shared by every hub process on one Redis. Per topic, `<tag>:pr:<topic>` maps a user
 * to the processes holding it and until when each hold lives (`{"<process>": <ms of Redis
 * TIME>}`), and `<tag>:pi:<topic>` maps it to its `info` JSON. A user is present while one of
 * its holds lives. Each process renews its holds every `ttl / 3` ms (and re-creates them after
 * a `FLUSHALL` or a Redis that restarted empty); the same call drops holds that outlived their
 * `ttl` — those of a process that died — so its members leave within `ttl + ttl / 3` ms. Every
 * change is published (`<tag>:presence`) by the script that made it: one order for all.
 */

// Redis TIME in ms: the one clock every process's expiry is measured on.
const lib = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
-- The holds of a record that still live (all but \`skip\`'s), and whether any does.
local function live(raw, skip)
  local holds, any = {}, false
  if raw then
    for process, at in pairs(cjson.decode(raw)) do
      if process ~= skip and at > now then holds[process] = at; any = true end
    end
  end
  return holds, any
end
local function announce(channel, topic, action, user, info)
  redis.call('PUBLISH', channel, cjson.encode({topic, action, user, info}))
end
local function keep(ttl)
  redis.call('PEXPIRE', KEYS[1], ttl * 3)
  redis.call('PEXPIRE', KEYS[2], ttl * 3)
end
`;

// KEYS: holds, infos. ARGV: process, user, info, ttl, max (-1: none), topic, channel.
const joinScript = `${lib}
local process, user, info, ttl, max = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local raw = redis.call('HGET', KEYS[1], user)
local holds, present = live(raw, nil)
if not present and max >= 0 then
  local others = redis.call('HLEN', KEYS[1]) - (raw and 1 or 0)
  if others >= max then return 0 end
end
holds[process] = now + ttl
redis.call('HSET', KEYS[1], user, cjson.encode(holds))
if not present then
  redis.call('HSET', KEYS[2], user, info)
  announce(ARGV[7], ARGV[6], 'join', user, info)
end
keep(ttl)
return 1
`;

// KEYS: holds, infos. ARGV: process, user, topic, channel.
const leaveScript = `${lib}
local user = ARGV[2]
local raw = redis.call('HGET', KEYS[1], user)
if not raw then return 0 end
local holds, present = live(raw, ARGV[1])
if present then
  redis.call('HSET', KEYS[1], user, cjson.encode(holds))
  return 0
end
redis.call('HDEL', KEYS[1], user)
redis.call('HDEL', KEYS[2], user)
announce(ARGV[4], ARGV[3], 'leave', user, nil)
return 1
`;

// KEYS: holds, infos. ARGV: process, ttl, topic, channel, then user, info pairs held here.
const beatScript = `${lib}
local process, ttl, topic, channel = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
for i = 5, #ARGV, 2 do
  local user, info = ARGV[i], ARGV[i + 1]
  local holds, present = live(redis.call('HGET', KEYS[1], user), nil)
  holds[process] = now + ttl
  redis.call('HSET', KEYS[1], user, cjson.encode(holds))
  if not present then
    redis.call('HSET', KEYS[2], user, info)
    announce(channel, topic, 'join', user, info)
  end
end
local all = redis.call('HGETALL', KEYS[1])
for j = 1, #all, 2 do
  local holds, present = live(all[j + 1], nil)
  if not present then
    redis.call('HDEL', KEYS[1], all[j])
    redis.call('HDEL', KEYS[2], all[j])
    announce(channel, topic, 'leave', all[j], nil)
  else
    redis.call('HSET', KEYS[1], all[j], cjson.encode(holds))
  end
end
if #all > 0 then keep(ttl) end
return 1
`;

// KEYS: holds, infos. Returns user, info pairs of the users present now.
const membersScript = `${lib}
local out = {}
local all = redis.call('HGETALL', KEYS[1])
for j = 1, #all, 2 do
  local _, present = live(all[j + 1], nil)
  if present then
    out[#out + 1] = all[j]
    out[#out + 1] = redis.call('HGET', KEYS[2], all[j]) or 'null'
  end
end
return out
`;

export interface RedisPresenceOptions {
  url: string | string[];
  prefix?: string;
  cluster?: boolean;
  redisOptions?: Record<string, unknown>;
  /** ms a hold lives without a renewal. */
  ttl: number;
}

interface Scripts {
  rtPresenceJoin(...args: (string | number)[]): Promise<number>;
  rtPresenceLeave(...args: (string | number)[]): Promise<number>;
  rtPresenceBeat(...args: (string | number)[]): Promise<number>;
  rtPresenceMembers(...args: string[]): Promise<string[]>;
}

/** Presence across hub processes through Redis (the `redis` option); ioredis loads on first use. */
export class RedisPresence implements PresenceBackend {
  /** This process, as its holds name it. */
  private readonly process = randomBytes(9).toString('base64url');
  private readonly tag: string;
  private readonly channel: string;
  private readonly connections: Promise<{ client: Redis | Cluster; subscriber: Redis | Cluster }>;
  private readonly listeners = new Set<(change: PresenceChange) => void>();
  private readonly resyncListeners = new Set<() => void>();
  private resyncTimer?: ReturnType<typeof setTimeout>;

  constructor(private readonly options: RedisPresenceOptions) {
    const prefix = options.prefix ?? 'rt';
    this.tag = /\{[^}]+\}/.test(prefix) ? prefix : `{${prefix}}`;
    this.channel = `${this.tag}:presence`;
    this.connections = this.connect();
    this.connections.catch(() => {});
  }

  async join(topic: string, user: string, info: string, max: number): Promise<boolean> {
    const scripts = await this.scripts();
    const limit = Number.isFinite(max) ? max : -1;
    const keys = this.keysOf(topic);
    const args = [this.process, user, info, this.options.ttl, limit, topic, this.channel];
    return (await scripts.rtPresenceJoin(...keys, ...args)) === 1;
  }

  async leave(topic: string, user: string): Promise<void> {
    const scripts = await this.scripts();
    await scripts.rtPresenceLeave(...this.keysOf(topic), this.process, user, topic, this.channel);
  }

  async members(topic: string): Promise<Map<string, string>> {
    const flat = await (await this.scripts()).rtPresenceMembers(...this.keysOf(topic));
    const members = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) members.set(flat[i]!, flat[i + 1]!);
    return members;
  }

  async beat(held: Map<string, Map<string, string>>, watched: Set<string>): Promise<void> {
    const scripts = await this.scripts();
    const topics = new Set([...held.keys(), ...watched]);
    await Promise.all(
      [...topics].map((topic) =>
        scripts.rtPresenceBeat(
          ...this.keysOf(topic),
          this.process,
          this.options.ttl,
          topic,
          this.channel,
          ...[...(held.get(topic) ?? [])].flat(),
        ),
      ),
    );
  }

  onChange(listener: (change: PresenceChange) => void): void {
    this.listeners.add(listener);
  }

  onResync(listener: () => void): void {
    this.resyncListeners.add(listener);
  }

  async close(): Promise<void> {
    clearTimeout(this.resyncTimer);
    this.listeners.clear();
    this.resyncListeners.clear();
    const { client, subscriber } = await this.connections.catch(() => ({
      client: undefined,
      subscriber: undefined,
    }));
    subscriber?.disconnect();
    client?.disconnect();
  }

  private keysOf(topic: string): [string, string] {
    return [`${this.tag}:pr:${topic}`, `${this.tag}:pi:${topic}`];
  }

  private async scripts(): Promise<Scripts> {
    return (await this.connections).client as unknown as Scripts;
  }

  private async connect() {
    const { Cluster, Redis } = await import('ioredis');
    const { url, cluster, redisOptions } = this.options;
    // Commands wait for a connection that is coming (so a join and its leave keep their order)
    // but fail after one reconnect attempt, and after 2 s without an answer.
    const common = { maxRetriesPerRequest: 1, ...redisOptions };
    const seeds = redisSeeds(url, cluster);
    const open = (extra: object): Redis | Cluster =>
      cluster
        ? new Cluster(seeds, { redisOptions: { ...common, ...extra } })
        : new Redis(seeds[0]!, { ...common, ...extra });
    const client = open({ commandTimeout: 2000 });
    const subscriber = open({});
    client.on('error', () => {});
    subscriber.on('error', () => {});
    client.defineCommand('rtPresenceJoin', { numberOfKeys: 2, lua: joinScript });
    client.defineCommand('rtPresenceLeave', { numberOfKeys: 2, lua: leaveScript });
    client.defineCommand('rtPresenceBeat', { numberOfKeys: 2, lua: beatScript });
    client.defineCommand('rtPresenceMembers', { numberOfKeys: 2, lua: membersScript });
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      let change: PresenceChange;
      try {
        const [topic, action, user, info] = JSON.parse(message) as string[];
        change = { topic: topic!, action: action as PresenceChange['action'], user: user! };
        if (info !== undefined) change.info = info;
      } catch {
        return;
      }
      for (const listener of this.listeners) listener(change);
    });
    // The first subscription is in place before any join or snapshot (no change is missed);
    // ioredis subscribes again by itself after a reconnect.
    await subscriber.subscribe(this.channel).catch(() => {});
    subscriber.on('ready', () => {
      // Back after a lost connection: changes may have been missed. Read again once every live
      // process has renewed its holds (a Redis that restarted empty is rebuilt by then).
      clearTimeout(this.resyncTimer);
      this.resyncTimer = setTimeout(() => {
        for (const listener of this.resyncListeners) listener();
      }, this.options.ttl / 2);
      this.resyncTimer.unref();
    });
    return { client, subscriber };
  }
}

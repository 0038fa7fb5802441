import { randomBytes } from 'node:crypto';

/** Writes this process's counts: KEYS set, hash. ARGV: process, ttl (ms), then topic, count pairs. */
const writeScript = `
redis.call('DEL', KEYS[2])
if #ARGV < 3 then
  redis.call('SREM', KEYS[1], ARGV[1])
  return 0
end
-- In slices: unpack has a stack limit (a few thousand values).
for i = 3, #ARGV, 1000 do redis.call('HSET', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV))) end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[1], ARGV[1])
return 1`;

/**
 * Every other live process's counts, summed: KEYS set. ARGV: key prefix of a process's hash, this
 * process, then the topics asked for (none: all). A process whose hash expired (it crashed) is
 * dropped from the set.
 */
const readScript = `
local sums, order = {}, {}
local function add(topic, n)
  if not sums[topic] then sums[topic] = 0; order[#order + 1] = topic end
  sums[topic] = sums[topic] + n
end
for _, process in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if process ~= ARGV[2] then
    local key = ARGV[1] .. process
    if redis.call('EXISTS', key) == 0 then
      redis.call('SREM', KEYS[1], process)
    elseif #ARGV > 2 then
      for from = 3, #ARGV, 1000 do
        local to = math.min(from + 999, #ARGV)
        local values = redis.call('HMGET', key, unpack(ARGV, from, to))
        for i = from, to do
          local n = values[i - from + 1]
          if n then add(ARGV[i], tonumber(n)) end
        end
      end
    else
      local all = redis.call('HGETALL', key)
      for i = 1, #all, 2 do add(all[i], tonumber(all[i + 1])) end
    end
  end
end
local out = {}
for _, topic in ipairs(order) do out[#out + 1] = topic; out[#out + 1] = sums[topic] end
return out`;

interface CountsClient {
  defineCommand(name: string, definition: { numberOfKeys?: number; lua: string }): void;
  pexpire(key: string, ms: number): Promise<unknown>;
}

type Commands = {
  rtCountsWrite(...args: (string | number)[]): Promise<number>;
  rtCountsRead(...args: string[]): Promise<string[]>;
};

/**
 * Subscriber counts per topic across hub processes: each process writes its own counts to a Redis
 * hash (`{rt}:subs:<process>`) when they changed, at most every `interval` ms, and renews the
 * hash's expiry (3 × `interval`) otherwise. A reader adds its own live counts to the others'.
 * So another live process's counts are at most `interval` ms old (plus a round trip), and a
 * crashed process's counts are gone within 3 × `interval`.
 */
export class RedisSubscriberCounts {
  readonly process = randomBytes(9).toString('base64url');
  private readonly set: string;
  private readonly hashPrefix: string;
  private readonly timer: ReturnType<typeof setInterval>;
  private written = '';
  private busy = false;

  constructor(
    private readonly client: CountsClient,
    tag: string,
    /** This process's live counts. */
    private readonly read: () => ReadonlyMap<string, number>,
    private readonly interval: number,
  ) {
    this.set = `${tag}:subs`;
    this.hashPrefix = `${tag}:subs:`;
    client.defineCommand('rtCountsWrite', { numberOfKeys: 2, lua: writeScript });
    client.defineCommand('rtCountsRead', { numberOfKeys: 1, lua: readScript });
    this.timer = setInterval(() => void this.flush(), interval);
    this.timer.unref();
    void this.flush();
  }

  /** Other processes' counts (of `topics`, or all) plus this one's live counts. */
  async total(topics?: readonly string[]): Promise<Map<string, number>> {
    const reply = await this.commands.rtCountsRead(
      this.set,
      this.hashPrefix,
      this.process,
      ...(topics ?? []),
    );
    const totals = new Map<string, number>();
    for (let i = 0; i < reply.length; i += 2) totals.set(reply[i]!, Number(reply[i + 1]));
    const own = this.read();
    for (const topic of topics ?? own.keys()) {
      const n = own.get(topic) ?? 0;
      if (n) totals.set(topic, (totals.get(topic) ?? 0) + n);
    }
    return totals;
  }

  /** Stops writing and removes this process's counts. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.written = 'stopped';
    await this.commands.rtCountsWrite(this.set, this.hash, this.process, 1).catch(() => {});
  }

  private get hash(): string {
    return this.hashPrefix + this.process;
  }

  private get commands(): Commands {
    return this.client as unknown as Commands;
  }

  /** Writes the counts when they changed, else renews their expiry. A failure retries next time. */
  private async flush(): Promise<void> {
    if (this.busy || this.written === 'stopped') return;
    this.busy = true;
    const ttl = this.interval * 3;
    try {
      const pairs = [...this.read()].filter(([, n]) => n > 0).flat();
      const text = pairs.join('\n');
      if (text !== this.written) {
        await this.commands.rtCountsWrite(this.set, this.hash, this.process, ttl, ...pairs);
        if (this.written !== 'stopped') this.written = text;
      } else if (pairs.length) {
        // 0: the hash is gone (Redis restarted empty): written again next time.
        if (Number(await this.client.pexpire(this.hash, ttl)) === 0) this.written = '';
      }
    } catch {
      this.written = '';
    } finally {
      this.busy = false;
    }
  }
}

/**
 * Per-caller counters in Redis, shared by every replica. Request and token counts are INCR'd keys per caller and
 * minute that expire after two minutes; open streams are members of a sorted set scored by a lease deadline that
 * the holder renews, so a replica that dies releases its streams when the lease runs out.
 */
import { randomUUID } from "node:crypto";
import { createClient, type RedisClientType } from "redis";
import { currentWindow, type LimitStore, WINDOW_MS } from "./limit-store.ts";

const LEASE_MS = 90_000;
const RENEW_MS = 30_000;

export class RedisLimitStore implements LimitStore {
  readonly #redis: RedisClientType;
  readonly #prefix: string;

  private constructor(redis: RedisClientType, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  static async connect(url: string, prefix = "vertexchat"): Promise<RedisLimitStore> {
    const redis: RedisClientType = createClient({ url });
    // Errors are reported by the commands that fail; an idle disconnect must not crash the process.
    redis.on("error", () => undefined);
    await redis.connect();
    return new RedisLimitStore(redis, prefix);
  }

  async takeRequest(caller: string, limit: number): Promise<number | undefined> {
    const { index, msLeft } = currentWindow();
    const key = `${this.#prefix}:rpm:${caller}:${index}`;
    const [count] = await this.#redis
      .multi()
      .incr(key)
      .pExpire(key, 2 * WINDOW_MS)
      .exec();
    return Number(count) > limit ? msLeft : undefined;
  }

  async tokensOver(caller: string, limit: number): Promise<number | undefined> {
    const { index, msLeft } = currentWindow();
    const used = Number((await this.#redis.get(`${this.#prefix}:tpm:${caller}:${index}`)) ?? 0);
    return used >= limit ? msLeft : undefined;
  }

  async addTokens(caller: string, tokens: number): Promise<void> {
    if (tokens <= 0) return;
    const key = `${this.#prefix}:tpm:${caller}:${currentWindow().index}`;
    await this.#redis
      .multi()
      .incrBy(key, tokens)
      .pExpire(key, 2 * WINDOW_MS)
      .exec();
  }

  async acquireStream(caller: string, limit: number): Promise<(() => Promise<void>) | undefined> {
    const key = `${this.#prefix}:streams:${caller}`;
    const id = randomUUID();
    const now = Date.now();
    const [, , open] = await this.#redis
      .multi()
      .zRemRangeByScore(key, "-inf", now)
      .zAdd(key, { score: now + LEASE_MS, value: id })
      .zCard(key)
      .exec();
    if (Number(open) > limit) {
      await this.#redis.zRem(key, id);
      return undefined;
    }
    const renew = setInterval(() => {
      this.#redis.zAdd(key, { score: Date.now() + LEASE_MS, value: id }, { XX: true }).catch(() => undefined);
    }, RENEW_MS);
    renew.unref();
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      clearInterval(renew);
      await this.#redis.zRem(key, id).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    await this.#redis.close();
  }
}

import { GetRoleCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { meterIam, RateLimiter } from '../../lib/rate-limit.js';

const iam = mockClient(IAMClient);

beforeEach(() => {
  iam.reset();
});

/** A clock that only moves when the limiter sleeps, recording when each call was let through. */
function fakeTime() {
  let now = 1_000;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
    sleeps,
  };
}

/**
 * Time that passes only when every caller is asleep: each sleep is a timer, and the earliest timer fires
 * next. Lets concurrent callers sleep at once, as they do on a real clock.
 */
function virtualTime() {
  let now = 0;
  const timers: { at: number; resolve: () => void }[] = [];
  return {
    now: () => now,
    sleep: (ms: number) => new Promise<void>((resolve) => timers.push({ at: now + ms, resolve })),
    async run(work: Promise<unknown>): Promise<void> {
      let done = false;
      void work.then(() => {
        done = true;
      });
      while (!done) {
        await new Promise((resolve) => setImmediate(resolve));
        timers.sort((a, b) => a.at - b.at);
        const timer = timers.shift();
        if (timer === undefined) continue;
        now = timer.at;
        timer.resolve();
      }
      await work;
    },
  };
}

describe('RateLimiter', () => {
  it('spaces calls 1/rate apart', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({ ratePerSecond: 4, now: time.now, sleep: time.sleep });
    const at: number[] = [];

    for (let i = 0; i < 5; i++) {
      await limiter.take();
      at.push(time.now());
    }

    expect(at).toEqual([1_000, 1_250, 1_500, 1_750, 2_000]);
    expect(limiter.totalWaitMs).toBe(1_000);
  });

  it('never lets more than the rate into any second, however many callers wait at once', async () => {
    const time = virtualTime();
    const limiter = new RateLimiter({ ratePerSecond: 5, now: time.now, sleep: time.sleep });
    const at: number[] = [];

    await time.run(
      Promise.all(
        Array.from({ length: 23 }, async () => {
          await limiter.take();
          at.push(time.now());
        }),
      ),
    );

    const inWorstSecond = Math.max(
      ...at.map((start) => at.filter((t) => t >= start && t < start + 1000).length),
    );
    expect(inWorstSecond).toBe(5);
    expect(at).toEqual(Array.from({ length: 23 }, (_, i) => i * 200));
  });

  it('does not wait when calls are already slower than the rate', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({ ratePerSecond: 2, now: time.now, sleep: time.sleep });

    for (let i = 0; i < 3; i++) {
      await limiter.take();
      time.advance(600);
    }

    expect(time.sleeps).toEqual([]);
  });

  it('lets a burst through at once, then spaces calls', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({ ratePerSecond: 10, burst: 3, now: time.now, sleep: time.sleep });
    const at: number[] = [];

    for (let i = 0; i < 5; i++) {
      await limiter.take();
      at.push(time.now());
    }

    expect(at).toEqual([1_000, 1_000, 1_000, 1_100, 1_200]);
  });

  it('does not limit at an infinite rate', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({
      ratePerSecond: Number.POSITIVE_INFINITY,
      now: time.now,
      sleep: time.sleep,
    });

    for (let i = 0; i < 100; i++) await limiter.take();

    expect(time.sleeps).toEqual([]);
  });

  it.each([0, -1, Number.NaN])('rejects a rate of %s', (rate) => {
    expect(() => new RateLimiter({ ratePerSecond: rate, sleep: async () => {} })).toThrow(RangeError);
  });

  it('rejects a burst that is not a whole number of at least 1', () => {
    expect(() => new RateLimiter({ ratePerSecond: 1, burst: 0, sleep: async () => {} })).toThrow(RangeError);
    expect(() => new RateLimiter({ ratePerSecond: 1, burst: 1.5, sleep: async () => {} })).toThrow(
      RangeError,
    );
  });
});

describe('meterIam', () => {
  it('counts calls by operation and passes them and their answers through', async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
    iam.on(GetRoleCommand).resolves({});
    const metered = meterIam(new IAMClient({ region: 'us-east-1' }));

    const answer = await metered.send(new ListAccessKeysCommand({ UserName: 'alice' }));
    await metered.send(new ListAccessKeysCommand({ UserName: 'bob' }));
    await metered.send(new GetRoleCommand({ RoleName: 'app' }));

    expect(answer.AccessKeyMetadata).toEqual([]);
    expect(metered.calls).toEqual({ ListAccessKeys: 2, GetRole: 1 });
    expect(metered.total()).toBe(3);
    expect(iam).toHaveReceivedCommandWith(ListAccessKeysCommand, { UserName: 'bob' });
  });

  it('names operations by their schema, not their class name, which minification changes', async () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [] });
    // What esbuild's Minify makes of the class in the deployed bundle.
    const Jc = class extends ListAccessKeysCommand {};
    expect(Jc.name).toBe('Jc');
    const metered = meterIam(new IAMClient({ region: 'us-east-1' }));

    await metered.send(new Jc({ UserName: 'alice' }));

    expect(metered.calls).toEqual({ ListAccessKeys: 1 });
  });

  it('counts a call that fails', async () => {
    iam.on(GetRoleCommand).rejects(new Error('boom'));
    const metered = meterIam(new IAMClient({ region: 'us-east-1' }));

    await expect(metered.send(new GetRoleCommand({ RoleName: 'app' }))).rejects.toThrow('boom');
    expect(metered.calls).toEqual({ GetRole: 1 });
  });

  it('waits for the limiter before every call', async () => {
    iam.on(GetRoleCommand).resolves({});
    const time = fakeTime();
    const metered = meterIam(
      new IAMClient({ region: 'us-east-1' }),
      new RateLimiter({ ratePerSecond: 2, now: time.now, sleep: time.sleep }),
    );

    for (let i = 0; i < 3; i++) await metered.send(new GetRoleCommand({ RoleName: 'app' }));

    expect(time.sleeps).toEqual([500, 500]);
  });
});

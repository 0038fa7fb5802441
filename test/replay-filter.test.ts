import { expect } from '@open-wc/testing';
import { ReplayFilter } from '../src/internal/replay-filter.js';

/** Feeds the ids a new connection reports; returns the ones that pass (are not replays). */
function pass(filter: ReplayFilter, ids: string[]) {
  filter.begin();
  return ids.filter((id) => {
    if (filter.isReplay(id)) return false;
    filter.delivered(id);
    return true;
  });
}

describe('ReplayFilter (native mode: what a server replays to a new EventSource)', () => {
  it('drops a replay from the start, then passes what is new', () => {
    const filter = new ReplayFilter();
    expect(pass(filter, ['1', '2', '3'])).to.deep.equal(['1', '2', '3']);
    expect(pass(filter, ['1', '2', '3', '4', '5'])).to.deep.equal(['4', '5']);
  });

  it('a server that resumed loses nothing; nor does one replaying from the middle', () => {
    const filter = new ReplayFilter();
    pass(filter, ['1', '2', '3']);
    expect(pass(filter, ['4', '5'])).to.deep.equal(['4', '5']);
    expect(pass(filter, ['4', '5', '6'])).to.deep.equal(['6']);
  });

  it('id-less events after a replayed id are dropped no more often than they were delivered', () => {
    const filter = new ReplayFilter();
    // 1, then two id-less events carrying 1, then 2.
    pass(filter, ['1', '1', '1', '2']);
    expect(pass(filter, ['1', '1', '1', '2', '2', '3'])).to.deep.equal(['2', '3']);
  });

  it('ids that merely repeat are not taken for a replay forever', () => {
    const filter = new ReplayFilter();
    pass(filter, ['0', '0']);
    expect(pass(filter, ['0', '0', '0', '0'])).to.deep.equal(['0', '0']);
  });

  it('an event off the record ends the check; "" (no id yet) is never judged', () => {
    const filter = new ReplayFilter();
    pass(filter, ['a', 'b']);
    expect(pass(filter, ['', 'a', 'x', 'b'])).to.deep.equal(['', 'x', 'b']);
  });

  it('remembers only the last `size` ids; forget() clears them', () => {
    const filter = new ReplayFilter(2);
    pass(filter, ['1', '2', '3']);
    expect(pass(filter, ['1', '2', '3', '4'])).to.deep.equal(['1', '2', '3', '4']);
    filter.forget();
    expect(pass(filter, ['3', '4'])).to.deep.equal(['3', '4']);
  });

  // Red team: a server that ignores the `lastEventId` query replays its whole buffer from the
  // start (r3labs/sse#61 AutoReplay; athrvk/vayu#21 "a fresh EventSource replays the entire
  // retained topic"); with ids that repeat, the replay's first id also appears later on.
  it('ids that repeat: a replay from the start is dropped whole, not only from the last match', () => {
    const filter = new ReplayFilter();
    pass(filter, ['1', '2', '1', '2', '3']);
    expect(pass(filter, ['1', '2', '1', '2', '3', '4'])).to.deep.equal(['4']);
  });

  it('seeded: a replay from any point of a stream of repeating ids is dropped whole', () => {
    /** mulberry32: a small seeded PRNG, so a failing case can be replayed from its seed. */
    const random = (seed: number) => () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const base = Date.now() % 100_000;
    for (let seed = base; seed < base + 500; seed++) {
      const next = random(seed);
      // Ids from a small alphabet (repeats, runs: id-less events carry the id in force).
      const delivered = Array.from({ length: 1 + Math.floor(next() * 30) }, () =>
        'abc'.charAt(Math.floor(next() * 3)),
      );
      const from = Math.floor(next() * delivered.length);
      const fresh = ['x1', 'x2', 'x3'];
      const filter = new ReplayFilter();
      pass(filter, delivered);
      const passed = pass(filter, [...delivered.slice(from), ...fresh]);
      expect(passed, `seed ${seed}: ${delivered} replayed from ${from}`).to.deep.equal(fresh);
    }
  });

  describe('reconnected(): the connection came back by itself with its own last id', () => {
    /** The ids of one connection that pass, without begin(): a reconnect of the same one. */
    const more = (filter: ReplayFilter, ids: string[]) =>
      ids.filter((id) => !filter.isReplay(id) && (filter.delivered(id), true));

    it('behind the cursor (a replayed id) the check goes on: the rest of the replay is dropped', () => {
      const filter = new ReplayFilter();
      pass(filter, ['1', '2', '3', '4', '5', '6']);
      expect(pass(filter, ['1', '2', '3'])).to.deep.equal([]);
      filter.reconnected();
      expect(more(filter, ['4', '5', '6', '7'])).to.deep.equal(['7']);
    });

    it('behind the cursor, a server that replays from the start again is dropped too', () => {
      const filter = new ReplayFilter();
      pass(filter, ['1', '2', '3', '4']);
      expect(pass(filter, ['1', '2'])).to.deep.equal([]);
      filter.reconnected();
      expect(more(filter, ['1', '2', '3', '4', '5'])).to.deep.equal(['5']);
    });

    it('at the cursor the check ends: ids that merely repeat are new events', () => {
      const filter = new ReplayFilter();
      pass(filter, ['x', 'y', 'z']);
      expect(pass(filter, ['x', 'y', 'z'])).to.deep.equal([]);
      filter.reconnected();
      expect(more(filter, ['y', 'z'])).to.deep.equal(['y', 'z']);
    });

    it('after the check ended it stays ended', () => {
      const filter = new ReplayFilter();
      pass(filter, ['1', '2']);
      expect(pass(filter, ['3'])).to.deep.equal(['3']);
      filter.reconnected();
      expect(more(filter, ['1', '2'])).to.deep.equal(['1', '2']);
    });
  });

  describe('resumeAfter(): another connection takes the stream over from its cursor', () => {
    const more = (filter: ReplayFilter, ids: string[]) =>
      ids.filter((id) => !filter.isReplay(id) && (filter.delivered(id), true));

    it('drops what was delivered after that cursor, then passes what is new', () => {
      const filter = new ReplayFilter();
      more(filter, ['1', '2', '3', '4', '5']);
      filter.resumeAfter('2');
      expect(more(filter, ['3', '4', '5', '6'])).to.deep.equal(['6']);
    });

    it('at the last id delivered, or an unknown or empty one, nothing is dropped', () => {
      const filter = new ReplayFilter();
      more(filter, ['1', '2', '3']);
      for (const cursor of ['3', 'elsewhere', '']) {
        filter.resumeAfter(cursor);
        expect(more(filter, ['1'])).to.deep.equal(['1']);
        more(filter, ['2', '3']);
      }
    });

    it('id-less events that carried the cursor come again after it and are dropped as often', () => {
      const filter = new ReplayFilter();
      // 1, then two id-less events carrying 1, then 2.
      more(filter, ['1', '1', '1', '2']);
      filter.resumeAfter('1');
      expect(more(filter, ['1', '1', '2', '3'])).to.deep.equal(['3']);
    });
  });
});

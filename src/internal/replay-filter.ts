/**
 * Recognises a server replaying events the page already has. A new `EventSource` cannot send
 * `Last-Event-ID` (only its own reconnects do), so after one gave up and was replaced, the
 * cursor travels as a `lastEventId` query parameter, which a server written for `EventSource`
 * may ignore and replay from an older point. The replay repeats, in order, the ids delivered
 * before: this filter remembers the last `size` of them (with how many events carried each) and
 * drops incoming events while they walk along that record, never more per id than were
 * delivered. The first event off the record ends the check for good, so a server that did
 * resume (or ids that merely repeat) loses nothing.
 */
export class ReplayFilter {
  private readonly ids: string[] = [];
  /** How many delivered events carried `ids[i]` (id-less events carry the id in force). */
  private readonly counts: number[] = [];
  /**
   * Checking a new connection: where in `ids` the replay may be (with ids that repeat, a
   * replay's first id matches several places: each is followed until the replay leaves it),
   * with the events left to drop there; undefined before its first id.
   */
  private places?: [at: number, left: number][];
  private checking = false;

  constructor(private readonly size = 1024) {}

  /** Remembers the id of an event that was delivered. */
  delivered(id: string): void {
    if (id === '') return;
    const last = this.ids.length - 1;
    if (this.ids[last] === id) {
      this.counts[last]++;
      return;
    }
    this.ids.push(id);
    this.counts.push(1);
    if (this.ids.length > this.size) {
      this.ids.shift();
      this.counts.shift();
      this.places = this.places?.map(([at, left]) => [at - 1, left]);
    }
  }

  /** The stream changed (a new `src` or start id): nothing delivered so far can come back. */
  forget(): void {
    this.ids.length = this.counts.length = 0;
    this.checking = false;
  }

  /** A new connection starts that may replay. */
  begin(): void {
    this.checking = this.ids.length > 0;
    this.places = undefined;
  }

  /**
   * The connection reconnected by itself, sending as `Last-Event-ID` the last id it saw, which
   * may be a replayed one behind the page's cursor. At the cursor, a server that honours the
   * header sends only new events; behind it, the server resumes (or replays) from there, so the
   * check goes on and finds its place again.
   */
  reconnected(): void {
    if (this.places?.some(([at]) => at === this.ids.length - 1)) this.checking = false;
    else this.places = undefined;
  }

  /**
   * Another connection takes the stream over from `id` (its cursor, `''` for none): what was
   * delivered after that id may come again, in order, and is dropped; anything else ends the
   * check. A `shared` follower uses it when a new leading tab's connection resumed behind it.
   */
  resumeAfter(id: string): void {
    const at = id === '' ? -1 : this.ids.lastIndexOf(id);
    // Id-less events after the one with this id carried it too: they come again after it.
    const left = at === -1 ? 0 : this.counts[at] - 1;
    this.places = [[at, left]];
    this.checking = at !== -1 && (left > 0 || at < this.ids.length - 1);
  }

  /**
   * Whether an event whose own connection reports `id` (`''` before the connection saw any id)
   * is a replay of one already delivered.
   */
  isReplay(id: string): boolean {
    if (!this.checking || id === '') return false;
    const places: [number, number][] = [];
    const follow = (at: number) => this.ids[at] === id && places.push([at, this.counts[at] - 1]);
    if (!this.places) this.ids.forEach((_, at) => follow(at));
    else
      for (const [at, left] of this.places) {
        // An id-less event after a replayed one carries its id: at most as many again.
        if (at !== -1 && this.ids[at] === id && left > 0) places.push([at, left - 1]);
        else follow(at + 1);
      }
    this.places = places;
    this.checking = places.length > 0;
    return this.checking;
  }
}

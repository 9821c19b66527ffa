// A proxy's toxics: one ordered chain per direction, and the live links they are applied to
// (Toxiproxy's ToxicCollection). Changes are serialised and each one finishes on every live link
// before the API answers, so a client that got its 200 knows the toxic is in force.
import type { Socket } from 'node:net';
import { ToxicAlreadyExistsError, ToxicNotFoundError } from './api-errors.ts';
import { parseBody } from './go-json.ts';
import { ToxicLink, type LinkConnection } from './link.ts';
import { UNCOUNTED, type LinkTraffic } from './proxy-metrics.ts';
import { DIRECTIONS, Direction } from './stream.ts';
import { toxicFromJson, toxicUpdateFromJson, type ToxicWrapper } from './toxic-wrapper.ts';

/** The two sockets of one proxied connection, as the links need them. */
export interface LinkedSockets extends LinkConnection {
  readonly client: Socket;
  readonly upstream: Socket;
}

/** The byte counters of a connection's link in one direction. */
export type TrafficFor = (direction: Direction) => LinkTraffic;

export class ToxicCollection {
  private readonly chains: ToxicWrapper[][] = DIRECTIONS.map(() => []);
  private readonly links = new Set<ToxicLink>();
  private pending: Promise<unknown> = Promise.resolve();

  /** Upstream toxics first, then downstream, each in chain order. */
  list(): ToxicWrapper[] {
    return this.chains.flat();
  }

  get(name: string): ToxicWrapper | undefined {
    return this.list().find((toxic) => toxic.name === name);
  }

  add(body: unknown): Promise<ToxicWrapper> {
    return this.serialised(async () => {
      const toxic = toxicFromJson(
        body,
        (name) => this.get(name) !== undefined,
        () => new ToxicAlreadyExistsError(),
      );
      this.chainOf(toxic).push(toxic);
      await Promise.all(this.linksOf(toxic).map((link) => link.addToxic(toxic)));
      return toxic;
    });
  }

  /** Takes the raw body: Toxiproxy looks the toxic up before it decodes anything. */
  update(name: string, bodyText: string): Promise<ToxicWrapper> {
    return this.serialised(async () => {
      const toxic = this.get(name);
      if (toxic === undefined) throw new ToxicNotFoundError();
      const updated = toxicUpdateFromJson(parseBody(bodyText), toxic);
      toxic.toxic = updated.toxic;
      toxic.toxicity = updated.toxicity;
      const index = this.chainOf(toxic).indexOf(toxic);
      await Promise.all(this.linksOf(toxic).map((link) => link.updateToxic(index, toxic)));
      return toxic;
    });
  }

  remove(name: string): Promise<void> {
    return this.serialised(async () => {
      const toxic = this.get(name);
      if (toxic === undefined) throw new ToxicNotFoundError();
      await this.removeFromChain(toxic);
    });
  }

  /** Removes every toxic, first to last, as POST /reset does. */
  reset(): Promise<void> {
    return this.serialised(async () => {
      for (const chain of this.chains) {
        for (let first = chain[0]; first !== undefined; first = chain[0]) await this.removeFromChain(first);
      }
    });
  }

  /** Starts both links of a freshly connected pair with the chains as they are now; `traffic` counts each direction's bytes. */
  startLinks(sockets: LinkedSockets, traffic: TrafficFor = () => UNCOUNTED): () => void {
    const upstream = new ToxicLink(Direction.Upstream, sockets.client, sockets.upstream, sockets, traffic(Direction.Upstream));
    const downstream = new ToxicLink(Direction.Downstream, sockets.upstream, sockets.client, sockets, traffic(Direction.Downstream));
    upstream.start(this.chains[Direction.Upstream] ?? []);
    downstream.start(this.chains[Direction.Downstream] ?? []);
    this.links.add(upstream);
    this.links.add(downstream);
    return () => {
      this.links.delete(upstream);
      this.links.delete(downstream);
      upstream.dispose();
      downstream.dispose();
    };
  }

  private async removeFromChain(toxic: ToxicWrapper): Promise<void> {
    const chain = this.chainOf(toxic);
    const index = chain.indexOf(toxic);
    chain.splice(index, 1);
    await Promise.all(this.linksOf(toxic).map((link) => link.removeToxic(index)));
  }

  private chainOf(toxic: ToxicWrapper): ToxicWrapper[] {
    return this.chains[toxic.direction] as ToxicWrapper[];
  }

  /** Snapshot taken before awaiting: links that start meanwhile are built from the already-changed chain. */
  private linksOf(toxic: ToxicWrapper): ToxicLink[] {
    return [...this.links].filter((link) => link.direction === toxic.direction);
  }

  /** One change at a time, like the mutex around Toxiproxy's collection. */
  private serialised<T>(change: () => Promise<T>): Promise<T> {
    const result = this.pending.then(change);
    this.pending = result.catch(() => undefined);
    return result;
  }
}

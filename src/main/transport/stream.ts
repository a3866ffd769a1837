/**
 * One subscriber's view of the event stream, shared by the WebSocket and IPC transports: a
 * snapshot first, then every event as `{seq, ts, type, payload}` with a per-subscriber sequence.
 * `health_update` and `log` events are collected and sent every `batchMs` as one message per type
 * whose payload is an array; any other event first flushes what is pending, so order is kept.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { StreamMessage, VigilEvent, VigilEventType } from '../../shared/events.js';
import type { StatusResponse } from '../../shared/views.js';
import { BATCHED_EVENT_TYPES } from '../../shared/client/stream.js';

/** What the supervisor offers subscribers. */
export interface EventSource {
  /** The whole state, sent first to every subscriber. */
  snapshot(): StatusResponse;
  subscribe(listener: (ev: VigilEvent) => void): () => void;
}

export const DEFAULT_BATCH_MS = 100;
/** A batch this large is sent at once instead of waiting for the timer (a log flood). */
export const MAX_BATCH_ITEMS = 1000;

export interface StreamSessionOptions {
  readonly events: EventSource;
  readonly send: (msg: StreamMessage) => void;
  readonly clock: Clock;
  readonly batchMs?: number;
  readonly maxBatchItems?: number;
}

export interface StreamSession {
  /** Sends what is pending, then a fresh snapshot (the sequence goes on). */
  resync(): void;
  /** Stops listening and drops whatever is pending. */
  close(): void;
  readonly seq: number;
  readonly closed: boolean;
}

export function createStreamSession(opts: StreamSessionOptions): StreamSession {
  const batchMs = opts.batchMs ?? DEFAULT_BATCH_MS;
  const maxItems = opts.maxBatchItems ?? MAX_BATCH_ITEMS;
  let seq = 0;
  let closed = false;
  let timer: TimerHandle | null = null;
  /** Pending batches in the order their first event arrived. */
  const pending = new Map<VigilEventType, VigilEvent[]>();

  const emit = (type: StreamMessage['type'], payload: unknown): void => {
    if (closed) return;
    seq += 1;
    opts.send({ seq, ts: opts.clock.wallNow(), type, payload });
  };

  const flush = (): void => {
    timer?.cancel();
    timer = null;
    const batches = [...pending];
    pending.clear();
    for (const [type, list] of batches) emit(type, list);
  };

  const onEvent = (ev: VigilEvent): void => {
    if (closed) return;
    if (BATCHED_EVENT_TYPES.includes(ev.type)) {
      let list = pending.get(ev.type);
      if (!list) pending.set(ev.type, (list = []));
      list.push(ev);
      if (list.length >= maxItems) flush();
      else timer ??= opts.clock.setTimeout(flush, batchMs);
      return;
    }
    flush();
    emit(ev.type, ev);
  };

  emit('snapshot', opts.events.snapshot());
  const unsubscribe = closed ? () => undefined : opts.events.subscribe(onEvent);

  const session: StreamSession = {
    resync() {
      if (closed) return;
      flush();
      emit('snapshot', opts.events.snapshot());
    },
    close() {
      if (closed) return;
      closed = true;
      timer?.cancel();
      timer = null;
      pending.clear();
      unsubscribe();
    },
    get seq() {
      return seq;
    },
    get closed() {
      return closed;
    },
  };
  return session;
}

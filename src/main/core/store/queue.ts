/**
 * A FIFO with a hard bound: pushing onto a full queue drops the oldest item and counts it. Both
 * ends are O(1) (amortised), so a writer stuck on a full disk does not slow the supervisor down.
 */
export class BoundedQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private droppedCount = 0;

  constructor(private readonly capacity: number) {
    if (!(capacity >= 1))
      throw new RangeError(`queue capacity must be at least 1, got ${capacity}`);
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Items dropped because the queue was full, since it was created. */
  get dropped(): number {
    return this.droppedCount;
  }

  push(item: T): void {
    if (this.length >= this.capacity) {
      this.items[this.head] = undefined;
      this.head += 1;
      this.droppedCount += 1;
      this.compact();
    }
    this.items.push(item);
  }

  /** The queued items, oldest first (a copy). */
  toArray(): T[] {
    return this.items.slice(this.head) as T[];
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }

  private compact(): void {
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

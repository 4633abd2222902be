package dev.braid.coordinator.events;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends one JSON object per line to a file, UTF-8, each line flushed as it is written, from a
 * writer thread of its own: {@link #append} never blocks its caller (an actor, the engine's thread)
 * beyond an offer to a bounded queue. When the queue is full the line is dropped and counted, and
 * the log says so (the first drop, then every {@value #DROP_REPORT_EVERY}th), never silently.
 *
 * <p>Lifecycle: open (the file is created or appended to) -> closed ({@link #close}: the lines
 * queued are written, then the file closes; later appends are dropped without a count). Thread-safe.
 */
final class EventLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EventLog.class);
  /** Lines that may wait for the writer: about a second of the busiest stream (one line per request executed at 8k/s). */
  static final int CAPACITY = 8192;
  static final int DROP_REPORT_EVERY = 1000;
  private static final String END = "\u0000end";

  private final String file;
  private final BlockingQueue<String> queue;
  private final AtomicLong dropped = new AtomicLong();
  private final Writer out;
  private final Thread writer;
  private volatile boolean closed;

  /** Opens {@code file} for appending (creating it and its directory) and starts the writer thread. */
  EventLog(Path file, int capacity) throws IOException {
    this(file.toString(), open(file), capacity);
  }

  /** Appends to {@code out}, named {@code file} in the log (tests hand a writer of their own). */
  EventLog(String file, Writer out, int capacity) {
    this.file = file;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.out = out;
    this.writer = new Thread(this::write, "braid-events-writer");
    writer.setDaemon(true);
    writer.start();
  }

  private static Writer open(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    return new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND, StandardOpenOption.WRITE));
  }

  /** Queues {@code fields} as one line; true when queued, false when dropped (full, or closed). */
  boolean append(Map<String, Object> fields) {
    if (closed) {
      return false;
    }
    if (queue.offer(Json.object(fields))) {
      return true;
    }
    long n = dropped.incrementAndGet();
    if (n == 1 || n % DROP_REPORT_EVERY == 0) {
      LOG.warn("event stream {}: the writer is behind, {} event(s) dropped so far (queue of {} full)", file, n,
          capacityOf());
    }
    return false;
  }

  private int capacityOf() {
    return queue.size() + queue.remainingCapacity();
  }

  /** Lines dropped because the queue was full. */
  long dropped() {
    return dropped.get();
  }

  /** Writes what is queued (waiting up to {@code waitMillis}), then closes the file. */
  void close(long waitMillis) {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (queue.offer(END, waitMillis, TimeUnit.MILLISECONDS)) {
        writer.join(waitMillis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    writer.interrupt();
    if (dropped.get() > 0) {
      LOG.warn("event stream {}: {} event(s) dropped in all", file, dropped.get());
    }
  }

  @Override
  public void close() {
    close(2_000);
  }

  private void write() {
    try (Writer w = out) {
      while (true) {
        String line = queue.take();
        if (line == END) {
          return;
        }
        w.write(line);
        w.write('\n');
        w.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      closed = true;
      LOG.error("event stream {}: writing failed, no more events: {}", file, e.toString());
    }
  }

  /** The few JSON shapes an event needs: strings, numbers, booleans, lists of them. */
  static final class Json {
    private Json() {}

    static String object(Map<String, Object> fields) {
      StringBuilder b = new StringBuilder(96).append('{');
      boolean first = true;
      for (Map.Entry<String, Object> e : fields.entrySet()) {
        if (!first) {
          b.append(',');
        }
        first = false;
        string(b, e.getKey());
        b.append(':');
        value(b, e.getValue());
      }
      return b.append('}').toString();
    }

    private static void value(StringBuilder b, Object v) {
      if (v == null) {
        b.append("null");
      } else if (v instanceof Number || v instanceof Boolean) {
        b.append(v);
      } else if (v instanceof Iterable<?> list) {
        b.append('[');
        boolean first = true;
        for (Object o : list) {
          if (!first) {
            b.append(',');
          }
          first = false;
          value(b, o);
        }
        b.append(']');
      } else {
        string(b, v.toString());
      }
    }

    static void string(StringBuilder b, String s) {
      JsonString.append(b, s);
    }
  }
}

package dev.braid.bench.faults;

import io.grpc.Status;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every request a scenario sent and how it ended: the account the scenario's promises are checked
 * against. A request is {@link Outcome#CORRECT} (the model's answer, checked against {@link
 * ModelOracle}), {@link Outcome#WRONG} (an answer that is not the model's: a defect), {@link
 * Outcome#ERROR} (an explicit gRPC status, its code kept), or {@link Outcome#NONE} (no final
 * status: the client's own deadline, set well past the request's, ran out, or the run ended with
 * the request open: a defect).
 *
 * <p>Times are milliseconds since the ledger was made ({@link #nowMs}) and, for joining with the
 * nodes' events, epoch milliseconds of the send.
 */
public final class Ledger {
  /** How a request ended. */
  public enum Outcome { CORRECT, WRONG, ERROR, NONE }

  /**
   * A fault the scenario injected, or a phase it began ({@code fault} false: the soak's start), at
   * {@code tMs} (ledger time). Recovery figures count from the first fault; a run without one has
   * none.
   */
  public record Mark(String label, double tMs, boolean fault) {}

  /** One request: open until {@link #finish}ed, then immutable. */
  public static final class Entry {
    private final String id;
    private final String client;
    private final double sentMs;
    private final long sentEpochMs;
    private final long deadlineMs;
    private volatile Outcome outcome;
    private volatile String code = "";
    private volatile String message = "";
    private volatile double answeredMs = Double.NaN;
    private volatile boolean clientGaveUp;

    Entry(String id, String client, double sentMs, long sentEpochMs, long deadlineMs) {
      this.id = id;
      this.client = client;
      this.sentMs = sentMs;
      this.sentEpochMs = sentEpochMs;
      this.deadlineMs = deadlineMs;
    }

    public String id() {
      return id;
    }

    public String client() {
      return client;
    }

    public double sentMs() {
      return sentMs;
    }

    public long sentEpochMs() {
      return sentEpochMs;
    }

    /** The deadline the request carried (braid.deadline_ms). */
    public long deadlineMs() {
      return deadlineMs;
    }

    /** Null while open. */
    public Outcome outcome() {
      return outcome;
    }

    /** The gRPC code of an {@link Outcome#ERROR}; "" otherwise. */
    public String code() {
      return code;
    }

    public String message() {
      return message;
    }

    public double answeredMs() {
      return answeredMs;
    }

    /** Answer time minus send time; NaN while open. */
    public double latencyMs() {
      return answeredMs - sentMs;
    }

    /** Whether the client itself cancelled the call or let a deadline of its choosing expire (by design). */
    public boolean clientGaveUp() {
      return clientGaveUp;
    }

    /** The status as faults.json counts it: CORRECT, WRONG, NONE or the gRPC code. */
    public String status() {
      Outcome o = outcome;
      return o == null ? "OPEN" : o == Outcome.ERROR ? code : o.name();
    }
  }

  private final long startNanos = System.nanoTime();
  private final long startEpochMs = System.currentTimeMillis();
  private final ConcurrentLinkedQueue<Entry> entries = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Mark> marks = new ConcurrentLinkedQueue<>();
  private final AtomicLong ids = new AtomicLong();

  /** Milliseconds since the ledger was made. */
  public double nowMs() {
    return (System.nanoTime() - startNanos) / 1e6;
  }

  /** The epoch milliseconds of ledger time {@code tMs}. */
  public long epochMs(double tMs) {
    return startEpochMs + Math.round(tMs);
  }

  /** Ledger time of epoch milliseconds {@code epochMs}. */
  public double ledgerMs(long epochMs) {
    return epochMs - startEpochMs;
  }

  /** Records a request about to be sent; its id is unique in this ledger. */
  public Entry open(String client, long deadlineMs) {
    double t = nowMs();
    Entry e = new Entry(client + "-" + ids.incrementAndGet(), client, t, epochMs(t), deadlineMs);
    entries.add(e);
    return e;
  }

  /** Records an answer: correct or wrong. The first final status of an entry stands. */
  public void answered(Entry e, boolean correct) {
    finish(e, correct ? Outcome.CORRECT : Outcome.WRONG, "", "", false);
  }

  /** Records an explicit gRPC status; {@code byClient} when the client cancelled or let its own short deadline pass. */
  public void failed(Entry e, Status status, boolean byClient) {
    finish(e, Outcome.ERROR, status.getCode().name(), String.valueOf(status.getDescription()), byClient);
  }

  /** Records that no final status came: {@code why}. */
  public void none(Entry e, String why) {
    finish(e, Outcome.NONE, "", why, false);
  }

  private synchronized void finish(Entry e, Outcome o, String code, String message, boolean byClient) {
    if (e.outcome != null) {
      return;
    }
    e.code = code;
    e.message = message;
    e.clientGaveUp = byClient;
    e.answeredMs = nowMs();
    e.outcome = o;
  }

  /** Marks a fault at the current time. */
  public Mark mark(String label) {
    return add(new Mark(label, nowMs(), true));
  }

  /** Marks the start of a phase that is not a fault (plotted, but no recovery is measured from it). */
  public Mark phase(String label) {
    return add(new Mark(label, nowMs(), false));
  }

  private Mark add(Mark m) {
    marks.add(m);
    return m;
  }

  public List<Mark> marks() {
    return List.copyOf(marks);
  }

  /** Every entry, in send order. */
  public List<Entry> entries() {
    List<Entry> all = new ArrayList<>(entries);
    all.sort(Comparator.comparingDouble(Entry::sentMs));
    return all;
  }

  /** Closes every entry still open as {@link Outcome#NONE}: called when the run's clients have stopped. */
  public int closeOpen(String why) {
    int n = 0;
    for (Entry e : entries) {
      if (e.outcome == null) {
        none(e, why);
        n++;
      }
    }
    return n;
  }

  /** Requests by status (CORRECT, WRONG, NONE, OPEN or the gRPC code), sorted by name. */
  public Map<String, Long> countsByStatus() {
    Map<String, Long> m = new TreeMap<>();
    for (Entry e : entries) {
      m.merge(e.status(), 1L, Long::sum);
    }
    return m;
  }

  /** For each error status, how many requests ended with each message (the first 3 messages by count). */
  public Map<String, Map<String, Long>> messagesByStatus() {
    Map<String, Map<String, Long>> all = new TreeMap<>();
    for (Entry e : entries) {
      if (e.outcome == Outcome.ERROR || e.outcome == Outcome.NONE) {
        // Numbers vary per request (ms, addresses' ports): the message's shape is what repeats.
        String shape = e.message.replaceAll("\\d+(\\.\\d+)?", "N");
        all.computeIfAbsent(e.status(), k -> new TreeMap<>()).merge(shape, 1L, Long::sum);
      }
    }
    Map<String, Map<String, Long>> top = new TreeMap<>();
    all.forEach((status, byMessage) -> {
      Map<String, Long> first = new java.util.LinkedHashMap<>();
      byMessage.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(3)
          .forEach(m -> first.put(m.getKey(), m.getValue()));
      top.put(status, first);
    });
    return top;
  }

  /** How many entries ended with {@code o}. */
  public long count(Outcome o) {
    return entries.stream().filter(e -> e.outcome == o).count();
  }

  /** Ledger times of the correct answers, sorted. */
  public double[] correctTimesMs() {
    return entries.stream().filter(e -> e.outcome == Outcome.CORRECT).mapToDouble(Entry::answeredMs).sorted().toArray();
  }
}

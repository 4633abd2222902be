package dev.braid.gpu.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.time.ManualNanoClock;
import dev.braid.model.repo.DynamicBatching;
import dev.braid.model.repo.ModelConfig;
import dev.braid.model.repo.VersionPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DynamicBatcherTest {
  static final long NO_DEADLINE = Long.MAX_VALUE;
  static final Duration DELAY = Duration.ofNanos(1_000);

  final ManualNanoClock clock = new ManualNanoClock();

  static DynamicBatcher batcher(int max, List<Integer> preferred, int levels) {
    return new DynamicBatcher("m", max, preferred, DELAY, levels, levels == 0 ? 0 : levels);
  }

  void offer(DynamicBatcher b, long id, int level, int rows) {
    b.offer(new Request(id, clock.nanoTime(), NO_DEADLINE, level, rows), clock.nanoTime());
  }

  static List<Long> ids(Batch b) {
    return b.requests().stream().map(Request::id).toList();
  }

  @Test
  void releasesAtMaxBatchSizeWithoutWaiting() {
    DynamicBatcher b = batcher(4, List.of(), 0);
    for (int i = 0; i < 5; i++) {
      offer(b, i, 0, 1);
    }
    Batch batch = b.poll(0).orElseThrow();
    assertEquals(List.of(0L, 1L, 2L, 3L), ids(batch));
    assertEquals(4, batch.batchSize());
    assertEquals(Optional.empty(), b.poll(0), "one left, still within its delay");
    assertEquals(DELAY.toNanos(), b.nextDeadlineNanos());
  }

  @Test
  void pollFullReleasesOnlyBatchesThatWaitingCannotGrow() {
    DynamicBatcher b = batcher(4, List.of(2), 0);
    offer(b, 0, 0, 1);
    offer(b, 1, 0, 1);
    clock.advance(DELAY.toNanos());
    assertEquals(Optional.empty(), b.pollFull(clock.nanoTime()), "preferred size and delay expired, but not full");
    offer(b, 2, 0, 1);
    offer(b, 3, 0, 1);
    offer(b, 4, 0, 3);
    assertEquals(List.of(0L, 1L, 2L, 3L), ids(b.pollFull(clock.nanoTime()).orElseThrow()), "max_batch_size rows");
    offer(b, 5, 0, 2);
    assertEquals(List.of(4L), ids(b.pollFull(clock.nanoTime()).orElseThrow()), "the next request does not fit");
    assertEquals(Optional.empty(), b.pollFull(clock.nanoTime()));
    assertEquals(1, b.size());
  }

  @Test
  void expireRemovesOverdueRequestsWithoutReleasingAndEarliestDeadlineNamesTheNextOne() {
    DynamicBatcher b = batcher(8, List.of(), 0);
    assertEquals(Long.MAX_VALUE, b.earliestDeadlineNanos(), "empty");
    b.offer(new Request(0, 0, 500, 0, 1), 0);
    b.offer(new Request(1, 0, 300, 0, 1), 0);
    b.offer(new Request(2, 0, NO_DEADLINE, 0, 1), 0);
    assertEquals(300, b.earliestDeadlineNanos());
    b.expire(300);
    assertEquals(List.of(1L), b.takeRejected().stream().map(r -> r.request().id()).toList());
    assertEquals(2, b.size(), "nothing released");
    assertEquals(500, b.earliestDeadlineNanos());
  }

  @Test
  void requestsThatLeftInABatchNeitherExpireNorCountInTheEarliestDeadline() {
    DynamicBatcher b = batcher(2, List.of(), 0);
    b.offer(new Request(0, 0, 100, 0, 1), 0);
    b.offer(new Request(1, 0, 200, 0, 1), 0);
    b.offer(new Request(2, 0, 300, 0, 1), 0);
    assertEquals(List.of(0L, 1L), ids(b.poll(0).orElseThrow()));
    assertEquals(300, b.earliestDeadlineNanos());
    b.expire(250);
    assertEquals(List.of(), b.takeRejected());
    assertEquals(1, b.size());
    b.expire(300);
    assertEquals(List.of(2L), b.takeRejected().stream().map(r -> r.request().id()).toList());
    assertEquals(0, b.size());
    assertEquals(Long.MAX_VALUE, b.earliestDeadlineNanos());
  }

  @Test
  void releasesTheLargestPreferredSizeAvailable() {
    DynamicBatcher b = batcher(8, List.of(2, 4), 0);
    offer(b, 0, 0, 1);
    assertEquals(Optional.empty(), b.poll(0));
    for (int i = 1; i < 5; i++) {
      offer(b, i, 0, 1);
    }
    assertEquals(List.of(0L, 1L, 2L, 3L), ids(b.poll(0).orElseThrow()), "4 of the 5 queued, not 2");
    assertEquals(1, b.size());
  }

  @Test
  void releasesWhatIsQueuedOnceTheOldestWaitedMaxQueueDelay() {
    DynamicBatcher b = batcher(8, List.of(4), 0);
    offer(b, 0, 0, 1);
    clock.advance(400);
    offer(b, 1, 0, 2);
    assertEquals(1_000, b.nextDeadlineNanos());
    assertEquals(Optional.empty(), b.poll(999));
    Batch batch = b.poll(1_000).orElseThrow();
    assertEquals(List.of(0L, 1L), ids(batch));
    assertEquals(3, batch.batchSize());
    assertEquals(1_000, batch.formedNanos());
    assertEquals(Long.MAX_VALUE, b.nextDeadlineNanos());
  }

  @Test
  void releasesWhenTheNextRequestDoesNotFitBesideTheBatch() {
    DynamicBatcher b = batcher(4, List.of(), 0);
    offer(b, 0, 0, 3);
    offer(b, 1, 0, 2);
    assertTrue(b.nextDeadlineNanos() <= clock.nanoTime());
    assertEquals(List.of(List.of(0L), List.of(1L)), b.drain(1_000).stream().map(DynamicBatcherTest::ids).toList());
  }

  @Test
  void higherPriorityRequestsBatchFirst() {
    DynamicBatcher b = batcher(2, List.of(), 3);
    offer(b, 0, 3, 1);
    offer(b, 1, 0, 1); // the default level, 3
    offer(b, 2, 1, 1);
    offer(b, 3, 2, 1);
    Batch first = b.poll(0).orElseThrow();
    assertEquals(List.of(2L, 3L), ids(first));
    assertEquals(0, first.priority(), "level 1 is scheduler priority 0");
    Batch second = b.poll(0).orElseThrow();
    assertEquals(List.of(0L, 1L), ids(second));
    assertEquals(2, second.priority());
    assertThrows(IllegalArgumentException.class, () -> offer(b, 9, 4, 1));
  }

  @Test
  void expiredRequestsAreRejectedOnceAndNeverBatched() {
    DynamicBatcher b = batcher(4, List.of(), 0);
    b.offer(new Request(0, 0, 500, 0, 1), 0);
    b.offer(new Request(1, 0, NO_DEADLINE, 0, 1), 0);
    b.offer(new Request(2, 0, 100, 0, 1), 200); // already past its deadline when offered
    assertEquals(500, b.nextDeadlineNanos(), "wake for the expiry before the delay");
    assertEquals(List.of(2L), b.takeRejected().stream().map(r -> r.request().id()).toList());
    Batch batch = b.poll(1_000).orElseThrow();
    assertEquals(List.of(1L), ids(batch));
    List<Rejected> rejected = b.takeRejected();
    assertEquals(List.of(new Rejected(new Request(0, 0, 500, 0, 1), 1_000)), rejected);
    assertEquals(List.of(), b.takeRejected());
  }

  @Test
  void requestLargerThanMaxBatchSizeIsRefused() {
    DynamicBatcher b = batcher(4, List.of(), 0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> offer(b, 7, 0, 5));
    assertTrue(e.getMessage().contains("batch size 5, more than max_batch_size 4"), e.getMessage());
  }

  @Test
  void configuredFromTheModelConfig() {
    DynamicBatching db = new DynamicBatching(List.of(2), Duration.ofMillis(1), false, 0, 0);
    DynamicBatcher b = DynamicBatcher.of(config(8, db));
    offer(b, 0, 0, 1);
    assertEquals(1_000_000, b.nextDeadlineNanos());
    offer(b, 1, 0, 1);
    assertEquals(2, b.poll(0).orElseThrow().batchSize());

    DynamicBatcher unbatched = DynamicBatcher.of(config(0, null));
    offer(unbatched, 0, 0, 1);
    offer(unbatched, 1, 0, 1);
    assertEquals(2, unbatched.drain(0).size(), "a model that does not batch runs one request at a time");
  }

  static ModelConfig config(int maxBatchSize, DynamicBatching db) {
    return new ModelConfig("m", ModelConfig.ONNX_PLATFORM, ModelConfig.ONNX_BACKEND, maxBatchSize, List.of(),
        List.of(), new VersionPolicy.Latest(1), List.of(), db, Map.of(), ModelConfig.DEFAULT_MODEL_FILENAME);
  }

  @Test
  void flushReleasesEverythingWithoutWaitingAndRemoveAllWithdrawsIt() {
    DynamicBatcher b = batcher(4, List.of(), 0);
    for (int i = 1; i <= 6; i++) {
      b.offer(Request.of(i, 0, Long.MAX_VALUE), 0);
    }
    assertEquals(4, b.poll(0).orElseThrow().requests().size(), "a full batch goes by the rules");
    assertEquals(Optional.empty(), b.poll(0), "two rows wait for the delay");
    assertEquals(List.of(5L, 6L), b.flush(0).orElseThrow().requests().stream().map(Request::id).toList());
    assertEquals(Optional.empty(), b.flush(0));
    b.offer(Request.of(7, 0, Long.MAX_VALUE), 0);
    b.offer(Request.of(8, 0, 5), 0);
    assertEquals(List.of(7L, 8L), b.removeAll().stream().map(Request::id).toList());
    assertEquals(0, b.size());
    assertEquals(Long.MAX_VALUE, b.nextDeadlineNanos());
  }
}

package dev.braid.coordinator.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventLogTest {
  @Test
  void eachEventIsOneJsonLineWithTheContractsFieldsFirst(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("sub/node.events");
    NodeEvents events = NodeEvents.create(ConfigFactory.parseMap(Map.of(NodeEvents.FILE_KEY, file.toString())),
        () -> "127.0.0.1:2552");
    events.started(List.of("gpu"));
    events.executed("mlp", "req \"7\"\n", "pekko://braid@127.0.0.1:2552#0");
    events.placement(42, List.of("mlp"), List.of("load mlp on g"));
    events.cancelReceived("mlp", "r9", "g", "queued");
    events.close();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    assertEquals(4, lines.size(), "" + lines);
    assertTrue(lines.get(0).matches("\\{\"t_ms\":\\d{13},\"node\":\"127.0.0.1:2552\",\"event\":\"started\",\"roles\":\\[\"gpu\"]}"),
        lines.get(0));
    assertTrue(lines.get(1).endsWith("\"event\":\"executed\",\"model\":\"mlp\",\"request_id\":\"req \\\"7\\\"\\n\","
        + "\"gpu\":\"pekko://braid@127.0.0.1:2552#0\"}"), lines.get(1));
    assertTrue(lines.get(2).endsWith("\"event\":\"placement\",\"table_version\":42,\"models\":[\"mlp\"],"
        + "\"actions\":[\"load mlp on g\"]}"), lines.get(2));
    assertTrue(lines.get(3).endsWith("\"event\":\"cancel-received\",\"model\":\"mlp\",\"request_id\":\"r9\","
        + "\"gpu\":\"g\",\"stage\":\"queued\"}"), lines.get(3));
  }

  @Test
  void anEmptyFileKeyTurnsTheStreamOff() {
    NodeEvents off = NodeEvents.create(ConfigFactory.parseMap(Map.of(NodeEvents.FILE_KEY, "")), () -> "x");
    assertFalse(off.enabled());
    off.started(List.of("gpu")); // a no-op
  }

  @Test
  void aFullQueueDropsAndCountsInsteadOfBlockingTheCaller() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    StringWriter written = new StringWriter();
    Writer stuck = new Writer() { // the disk stalls on the first line
      @Override
      public void write(char[] buf, int off, int len) throws IOException {
        try {
          release.await();
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
        written.write(buf, off, len);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    EventLog log = new EventLog("stuck", stuck, 4);
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("event", "executed");
    int queued = 0;
    for (int i = 0; i < 20; i++) {
      queued += log.append(line) ? 1 : 0;
    }
    // The writer holds at most one line; the queue four more: the rest are dropped and counted.
    assertTrue(queued >= 4 && queued <= 5, "queued " + queued);
    assertEquals(20 - queued, log.dropped());
    release.countDown();
    log.close(5_000);
    assertEquals(queued, written.toString().lines().count(), written.toString());
  }
}

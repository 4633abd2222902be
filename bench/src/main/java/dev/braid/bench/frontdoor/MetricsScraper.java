package dev.braid.bench.frontdoor;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scrapes a node's {@code /metrics} at a fixed interval while a benchmark runs, as Prometheus
 * would, so that the metrics-on side of {@code bench frontdoor --compare-metrics} pays for its
 * scrapes too (at a shorter interval than Prometheus's usual 15 s). A failed scrape fails the
 * benchmark at {@link #close}.
 */
final class MetricsScraper implements AutoCloseable {
  private final ScheduledExecutorService timer;
  private final AtomicLong scrapes = new AtomicLong();
  private volatile String failure;

  private MetricsScraper(int port, Duration interval) {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .timeout(Duration.ofSeconds(5)).build();
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "bench-metrics-scraper");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(() -> {
      try {
        HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
          failure = "GET /metrics answered HTTP " + r.statusCode();
        }
        scrapes.incrementAndGet();
      } catch (Exception e) {
        failure = "GET /metrics failed: " + e;
      }
    }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Starts scraping {@code 127.0.0.1:port} every {@code interval}. */
  static MetricsScraper every(int port, Duration interval) {
    if (port < 1) {
      throw new IllegalStateException("the front door serves no metrics (port " + port + ")");
    }
    return new MetricsScraper(port, interval);
  }

  /** Scrapes answered so far. */
  long scrapes() {
    return scrapes.get();
  }

  @Override
  public void close() {
    timer.shutdownNow();
    if (failure != null) {
      throw new IllegalStateException(failure);
    }
  }
}

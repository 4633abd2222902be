package dev.braid.coordinator.admission;

import java.util.Objects;

/**
 * One tenant's quota. Starts full. Invariant: {@code 0 <= tokens <= burst}. Time comes from the
 * caller's {@code NanoClock} reading, which must not go backwards (a reading earlier than the last
 * adds nothing).
 */
final class TokenBucket {
  private final TenantQuota quota;
  private double tokens;
  private long lastNanos;

  TokenBucket(TenantQuota quota, long nowNanos) {
    this.quota = Objects.requireNonNull(quota, "quota");
    this.tokens = quota.burst();
    this.lastNanos = nowNanos;
  }

  /** Whether one token is available at {@code nowNanos}, without taking it. */
  boolean hasToken(long nowNanos) {
    refill(nowNanos);
    return tokens >= 1;
  }

  /** Takes one token; the caller checked {@link #hasToken} at the same instant. */
  void take() {
    tokens -= 1;
  }

  /** Nanoseconds until one token is available from now, 0 if one is. */
  long nanosUntilToken(long nowNanos) {
    refill(nowNanos);
    return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / quota.requestsPerSecond() * 1e9);
  }

  private void refill(long nowNanos) {
    if (nowNanos > lastNanos) {
      tokens = Math.min(quota.burst(), tokens + (nowNanos - lastNanos) * quota.requestsPerSecond() / 1e9);
      lastNanos = nowNanos;
    }
  }
}

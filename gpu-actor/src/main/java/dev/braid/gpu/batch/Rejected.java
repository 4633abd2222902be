package dev.braid.gpu.batch;

/**
 * A request the batcher removed unserved because its deadline passed while it queued
 * ({@code rejectedNanos >= deadlineNanos}); reported once, never silently dropped.
 */
public record Rejected(Request request, long rejectedNanos) {}

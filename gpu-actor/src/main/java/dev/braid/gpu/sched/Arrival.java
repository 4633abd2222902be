package dev.braid.gpu.sched;

/**
 * An op that is not ready now but is expected to be at {@code etaNanos}: the op after one in
 * flight (ready when that launch's predicted end comes) or a later op of a job, reached after its
 * ops before it run alone back to back from their predicted start. The prediction is the cost
 * model's; a policy that waits for an arrival must bound the wait, since it may come later.
 */
public record Arrival(OpRef op, long etaNanos) {}

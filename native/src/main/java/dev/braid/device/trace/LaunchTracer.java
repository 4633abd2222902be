package dev.braid.device.trace;

/**
 * The issuer's side of a device timeline: whoever launches kernels (the GPU engine's launcher)
 * says what the next launch is for just before it calls {@code Device.launch}, and that it
 * returned just after, on the same thread. The device's side ({@link SimTimeline} on a simulated
 * GPU, {@link TracingDevice} on any other) pairs the note with the launch it sees in between.
 *
 * <p>Off costs nothing: an issuer holds a null tracer and builds no note.
 */
public interface LaunchTracer {
  /** The next launch this thread submits is for {@code note}. */
  void launching(LaunchNote note);

  /** The launch announced by {@link #launching} returned (submitted, or refused). */
  void launched();
}

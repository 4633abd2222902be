package dev.braid.device.sim;

import dev.braid.device.DeviceStream;

/** A stream of a {@link SimulatedDevice}: its engine id (0 for the default stream) and priority. */
record SimStream(SimulatedDevice owner, int id, int priority) implements DeviceStream {
  @Override
  public String toString() {
    return "SimStream[" + id + ", priority " + priority + "]";
  }
}

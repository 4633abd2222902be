package dev.braid.device.trace;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a launch was for, as its issuer knows it (the device knows only kernels and buffers): the
 * problems of the launch, one {@link Member} each, so that a timeline names the model, job and
 * requests of every launch and lists the members of a super-kernel.
 *
 * @param members the launch's problems in launch order: one for a single kernel, several for a
 *     super-kernel; at least one
 */
public record LaunchNote(List<Member> members) {
  /**
   * One problem of a launch.
   *
   * @param model the model (instance) it belongs to
   * @param job the scheduler job (one batch) it belongs to; -1 when there is none
   * @param requests the requests of that job (their engine ids); empty when there are none
   * @param op the graph node the op came from
   * @param kernel the kernel with its shape, as {@code Kernel.toString()} gives it
   */
  public record Member(String model, long job, List<Long> requests, String op, String kernel) {
    public Member {
      Objects.requireNonNull(model, "model");
      requests = List.copyOf(requests);
      Objects.requireNonNull(op, "op");
      Objects.requireNonNull(kernel, "kernel");
    }
  }

  public LaunchNote {
    members = List.copyOf(members);
    if (members.isEmpty()) {
      throw new IllegalArgumentException("a launch note needs at least one member");
    }
  }

  /** The arguments a trace event carries for this launch: models, jobs, requests, and the members of a group. */
  Map<String, Object> args() {
    Map<String, Object> a = new LinkedHashMap<>();
    LinkedHashSet<String> models = new LinkedHashSet<>();
    List<Long> jobs = new ArrayList<>();
    List<Long> requests = new ArrayList<>();
    for (Member m : members) {
      models.add(m.model());
      if (m.job() >= 0) {
        jobs.add(m.job());
      }
      requests.addAll(m.requests());
    }
    a.put("models", List.copyOf(models));
    a.put("jobs", jobs);
    a.put("requests", requests);
    if (members.size() == 1) {
      a.put("op", members.get(0).op());
    } else {
      List<Map<String, Object>> list = new ArrayList<>();
      for (Member m : members) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("model", m.model());
        e.put("job", m.job());
        e.put("op", m.op());
        e.put("kernel", m.kernel());
        list.add(e);
      }
      a.put("members", list);
    }
    return a;
  }
}

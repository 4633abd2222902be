package dev.braid.bench.faults.net;

import dev.braid.bench.faults.NodeEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * When each node held the coordinator singleton, from the nodes' events, and the split-brain check
 * on it: at no time may two nodes act as coordinator. Pure: the events are given.
 *
 * <p>A node's coordinator interval runs from its {@code coordinator-started} to its
 * {@code coordinator-stopped}; one never stopped (the node was killed or is still running) runs to
 * the node's last event, or to {@code endMs} when that is later and the node may still be running.
 * Two intervals of different nodes that share any instant are a violation, and so is a
 * {@code placement} by a node outside its own intervals (a coordinator that placed models without
 * holding the singleton, as far as its own events say).
 */
public final class CoordinatorTimeline {
  /** One node's tenure as coordinator, [fromMs, toMs]. */
  public record Interval(String node, long fromMs, long toMs) {}

  private final List<Interval> intervals;
  private final List<String> violations;
  private final Map<String, Integer> placements;

  private CoordinatorTimeline(List<Interval> intervals, List<String> violations, Map<String, Integer> placements) {
    this.intervals = List.copyOf(intervals);
    this.violations = List.copyOf(violations);
    this.placements = Map.copyOf(placements);
  }

  /**
   * Builds the timeline from every node's events (in any order).
   *
   * @param running whether the nodes may still be running: open intervals then end at {@code endMs}
   */
  public static CoordinatorTimeline of(List<NodeEvent> events, boolean running, long endMs) {
    List<NodeEvent> sorted = new ArrayList<>(events);
    sorted.sort(Comparator.comparingLong(NodeEvent::tMs));
    Map<String, Long> openSince = new LinkedHashMap<>();
    Map<String, Long> lastEvent = new LinkedHashMap<>();
    Map<String, Integer> placements = new LinkedHashMap<>();
    List<Interval> intervals = new ArrayList<>();
    List<NodeEvent> placementEvents = new ArrayList<>();
    for (NodeEvent e : sorted) {
      lastEvent.put(e.node(), e.tMs());
      switch (e.kind()) {
        case "coordinator-started" -> openSince.putIfAbsent(e.node(), e.tMs());
        case "coordinator-stopped" -> {
          Long from = openSince.remove(e.node());
          if (from != null) {
            intervals.add(new Interval(e.node(), from, e.tMs()));
          }
        }
        case "placement" -> {
          placements.merge(e.node(), 1, Integer::sum);
          placementEvents.add(e);
        }
        default -> {
          // other kinds do not bear on the singleton
        }
      }
    }
    openSince.forEach((node, from) -> intervals.add(
        new Interval(node, from, running ? Math.max(endMs, lastEvent.get(node)) : lastEvent.get(node))));
    intervals.sort(Comparator.comparingLong(Interval::fromMs));

    List<String> violations = new ArrayList<>();
    for (int i = 0; i < intervals.size(); i++) {
      for (int j = i + 1; j < intervals.size(); j++) {
        Interval x = intervals.get(i);
        Interval y = intervals.get(j);
        if (!x.node().equals(y.node()) && x.fromMs() <= y.toMs() && y.fromMs() <= x.toMs()) {
          violations.add("two coordinators: " + x + " and " + y + " overlap");
        }
      }
    }
    for (NodeEvent p : placementEvents) {
      boolean inOwn = intervals.stream().anyMatch(
          iv -> iv.node().equals(p.node()) && iv.fromMs() <= p.tMs() && p.tMs() <= iv.toMs());
      if (!inOwn) {
        violations.add("placement by " + p.node() + " at " + p.tMs() + " outside its coordinator intervals");
      }
    }
    return new CoordinatorTimeline(intervals, violations, placements);
  }

  /** Every coordinator tenure, by start time. */
  public List<Interval> intervals() {
    return intervals;
  }

  /** What breaks the single-coordinator rule; empty when nothing does. */
  public List<String> violations() {
    return violations;
  }

  /** Placement events per node. */
  public Map<String, Integer> placements() {
    return placements;
  }

  /** The nodes that held the coordinator at some time, in order of their first tenure. */
  public List<String> coordinators() {
    return intervals.stream().map(Interval::node).distinct().toList();
  }
}

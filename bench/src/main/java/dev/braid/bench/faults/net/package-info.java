/**
 * Network faults for the fault harness (issue 16): {@link dev.braid.bench.faults.net.NetLab} puts
 * each node of a local cluster in a Linux network namespace of its own, joined by veth links to a
 * bridge in the root namespace, and partitions and heals that network; the partition scenario
 * checks, from the nodes' event streams ({@link dev.braid.bench.faults.NodeEvent}), that only
 * the side with the oldest coordinator node survives and that two coordinators never place models
 * at once ({@link dev.braid.bench.faults.net.CoordinatorTimeline}). Needs root; callers skip with
 * {@link dev.braid.bench.faults.net.NetLab#unavailableReason()} where namespaces cannot be made.
 */
package dev.braid.bench.faults.net;

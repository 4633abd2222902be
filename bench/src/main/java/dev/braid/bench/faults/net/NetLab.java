package dev.braid.bench.faults.net;

import dev.braid.bench.faults.NodeLauncher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small network of Linux network namespaces, one per cluster node, so that a test can cut the
 * network between two groups of nodes and heal it again while the nodes run as ordinary
 * processes on one host.
 *
 * <p>Layout: each node gets a namespace with {@code lo} up and an {@code eth0} holding the node's
 * address in a private /24 ({@code .10} upwards) that overlaps nothing the host routes; its veth
 * peer sits in the root namespace as a port of the lab's main bridge, which holds {@code .1}, so
 * the root namespace (the test's clients, the harness) reaches every node and the nodes reach each
 * other through the bridge. {@link #partition} moves the far side's ports to a second bridge that
 * has no port in common with the first: frames cannot cross, and nothing routes between the two
 * since the nodes see the whole /24 as on-link and never send through the root namespace. The root
 * namespace keeps reaching the far side through a host route per far node over the second bridge,
 * so clients still see both halves, as they would in a real partition. {@link #heal} moves the
 * ports back.
 *
 * <p>Lifecycle: {@link #create} -> nodes added by {@link #addNode} (or on first use through
 * {@link #host} or {@link #command}) -> any number of partition/heal -> {@link #close}, which
 * removes every namespace, link, bridge and route it made, SIGKILLs processes still running in its
 * namespaces (the nodes it launched), and tolerates half-made state after a failure. A shutdown
 * hook closes a lab its owner forgot; a lab of a JVM that crashed is removed by the next
 * {@link #create} on the host (see {@link LabNames}).
 *
 * <p>Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and the {@code ip} tool; {@link
 * #unavailableReason} tells callers, once per JVM, whether this host can make one.
 */
public final class NetLab implements NodeLauncher, AutoCloseable {
  /** The first node address in the lab's /24; .1 is the root namespace's, the rest are spare. */
  private static final int FIRST_NODE_HOST = 10;
  private static final AtomicInteger LABS_IN_THIS_JVM = new AtomicInteger();
  private static volatile Optional<String> unavailable;

  /** One node's place in the lab. */
  private record Node(String name, int index, String namespace, String hostLink, String address) {}

  private final LabNames names;
  private final Ipv4Prefix subnet;
  private final String gateway;
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  /** Nodes whose ports are on the cut bridge now; empty when healed. */
  private final Set<String> cutOff = new LinkedHashSet<>();
  /** What was made, for close(): namespaces and root-namespace links, in creation order. */
  private final List<String> madeNamespaces = new ArrayList<>();
  private final List<String> madeLinks = new ArrayList<>();
  private final Thread shutdownHook;
  private boolean closed;

  private NetLab(LabNames names, Ipv4Prefix subnet) {
    this.names = names;
    this.subnet = subnet;
    this.gateway = subnet.host(1);
    this.shutdownHook = new Thread(this::closeQuietly, "netlab-cleanup-" + names.prefix());
  }

  /**
   * Why this host cannot make a lab ({@code ip} missing, not root, namespaces or veth/bridge links
   * refused), or empty when it can. Probed once per JVM by making and removing a throwaway
   * namespace with a bridge and a veth pair inside it.
   */
  public static synchronized Optional<String> unavailableReason() {
    if (unavailable == null) {
      unavailable = probe();
    }
    return unavailable;
  }

  private static Optional<String> probe() {
    if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
      return Optional.of("network namespaces need Linux; this is " + System.getProperty("os.name"));
    }
    String ns = new LabNames(ProcessHandle.current().pid(), nextLabNumber()).namespace("probe");
    try {
      IpCommand.Result add = IpCommand.ipQuietly("netns", "add", ns);
      if (!add.ok()) {
        return Optional.of("network namespaces cannot be made here (root is needed): `ip netns add` exited with "
            + add.exitStatus() + ": " + add.stderr().strip());
      }
      try {
        IpCommand.Result bridge = IpCommand.ipQuietly("-n", ns, "link", "add", "probe-br", "type", "bridge");
        if (!bridge.ok()) {
          return Optional.of("bridges cannot be made here: " + bridge.stderr().strip());
        }
        IpCommand.Result veth = IpCommand.ipQuietly("-n", ns, "link", "add", "probe-v0", "type", "veth", "peer",
            "name", "probe-v1");
        if (!veth.ok()) {
          return Optional.of("veth links cannot be made here: " + veth.stderr().strip());
        }
        return Optional.empty();
      } finally {
        IpCommand.ipQuietly("netns", "del", ns);
      }
    } catch (IOException e) {
      return Optional.of("the ip tool failed: " + e.getMessage());
    }
  }

  /**
   * Makes an empty lab: removes leftovers of crashed runs, picks a free /24 and makes the two
   * bridges. Fails with the {@code ip} command's error where the host cannot make one.
   */
  public static NetLab create() throws IOException {
    long pid = ProcessHandle.current().pid();
    Path lockFile = Path.of(System.getProperty("java.io.tmpdir"), "braid-netlab.lock");
    // Labs made at once by several JVMs must not pick the same /24: the choice and the address that
    // claims it (the main bridge's connected route) happen under one host-wide lock.
    try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock ignored = ch.lock()) {
      LabCleanup.removeLeftovers();
      LabNames names = freeNames(pid);
      List<Ipv4Prefix> taken = new ArrayList<>();
      taken.addAll(Ipv4Prefix.fromIpOutput(IpCommand.ip("-4", "-o", "addr", "show").stdout()));
      taken.addAll(Ipv4Prefix.fromIpOutput(IpCommand.ip("-4", "route", "show", "table", "all").stdout()));
      Ipv4Prefix subnet = Ipv4Prefix.freeLabSubnet(taken, (int) (pid % 256)).orElseThrow(
          () -> new IOException("no free /24 in 10.231.0.0/16 for a network lab; the host holds " + taken));
      NetLab lab = new NetLab(names, subnet);
      Runtime.getRuntime().addShutdownHook(lab.shutdownHook);
      try {
        lab.makeBridges();
      } catch (IOException | RuntimeException e) {
        lab.closeQuietly();
        throw e;
      }
      return lab;
    }
  }

  private static LabNames freeNames(long pid) throws IOException {
    for (int i = 0; i < 36; i++) {
      LabNames n = new LabNames(pid, nextLabNumber());
      if (!IpCommand.ipQuietly("link", "show", n.mainBridge()).ok()) {
        return n;
      }
    }
    throw new IOException("this JVM already holds 36 open network labs");
  }

  private static int nextLabNumber() {
    return Math.floorMod(LABS_IN_THIS_JVM.getAndIncrement(), 36);
  }

  private void makeBridges() throws IOException {
    // Both bridges carry one MAC address: a node moved to the cut bridge keeps the root namespace's
    // MAC in its neighbour cache, and frames sent to it must still reach the root namespace there
    // (a bridge delivers locally only frames addressed to its own MAC). Locally administered (02:),
    // the lab's third octet in it so that two labs' bridges differ.
    String mac = String.format(java.util.Locale.ROOT, "02:62:72:64:%02x:01", (subnet.address() >>> 8) & 255);
    for (String bridge : List.of(names.mainBridge(), names.cutBridge())) {
      IpCommand.ip("link", "add", bridge, "type", "bridge");
      madeLinks.add(bridge);
      IpCommand.ip("link", "set", bridge, "address", mac);
      IpCommand.ip("link", "set", bridge, "up");
    }
    IpCommand.ip("addr", "add", gateway + "/" + subnet.length(), "dev", names.mainBridge());
  }

  /** The lab's /24, for messages and reports. */
  public String subnet() {
    return subnet.toString();
  }

  /** The root namespace's address in the lab. */
  public String rootAddress() {
    return gateway;
  }

  /** The nodes added so far, in the order they were added. */
  public synchronized List<String> nodeNames() {
    return List.copyOf(nodes.keySet());
  }

  /** Adds node {@code name} (its namespace, veth pair and address) unless it is already there. */
  public synchronized void addNode(String name) throws IOException {
    node(name);
  }

  /** The namespace node {@code name} runs in (made on first use). */
  public synchronized String namespace(String name) throws IOException {
    return node(name).namespace();
  }

  /**
   * The address node {@code name} is reached at, from the root namespace and from other nodes
   * (the node is added first if new; an {@code ip} failure then is thrown unchecked, as the
   * launcher hook declares none).
   */
  @Override
  public synchronized String host(String nodeName) {
    return nodeUnchecked(nodeName).address();
  }

  /**
   * {@code command} run inside node {@code nodeName}'s namespace: {@code ip netns exec NS ...}, which
   * execs the command, so the process started is the node's JVM itself (signals reach it).
   */
  @Override
  public synchronized List<String> command(String nodeName, List<String> command) {
    List<String> wrapped = new ArrayList<>(command.size() + 4);
    wrapped.addAll(List.of("ip", "netns", "exec", nodeUnchecked(nodeName).namespace()));
    wrapped.addAll(command);
    return wrapped;
  }

  private Node nodeUnchecked(String name) {
    try {
      return node(name);
    } catch (IOException e) {
      throw new UncheckedIOException("network lab: cannot add node '" + name + "': " + e.getMessage(), e);
    }
  }

  private Node node(String name) throws IOException {
    checkOpen();
    Node n = nodes.get(name);
    if (n != null) {
      return n;
    }
    int index = nodes.size();
    if (index >= LabNames.MAX_NODES) {
      throw new IllegalStateException("a lab holds at most " + LabNames.MAX_NODES + " nodes; '" + name
          + "' would be one more");
    }
    n = new Node(name, index, names.namespace(name), names.hostLink(index), subnet.host(FIRST_NODE_HOST + index));
    String peer = names.peerLink(index);
    IpCommand.ip("netns", "add", n.namespace());
    madeNamespaces.add(n.namespace());
    IpCommand.ip("link", "add", n.hostLink(), "type", "veth", "peer", "name", peer);
    madeLinks.add(n.hostLink());
    IpCommand.ip("link", "set", peer, "netns", n.namespace());
    IpCommand.ip("-n", n.namespace(), "link", "set", peer, "name", "eth0");
    IpCommand.ip("-n", n.namespace(), "addr", "add", n.address() + "/" + subnet.length(), "dev", "eth0");
    IpCommand.ip("-n", n.namespace(), "link", "set", "eth0", "up");
    IpCommand.ip("-n", n.namespace(), "link", "set", "lo", "up");
    // Joining the far side's bridge if a partition is in force would surprise: new nodes join the
    // main bridge, i.e. side a.
    IpCommand.ip("link", "set", n.hostLink(), "master", names.mainBridge(), "up");
    nodes.put(name, n);
    return n;
  }

  /**
   * Cuts every path between the nodes of {@code a} and those of {@code b}; each side keeps reaching
   * its own nodes, and the root namespace keeps reaching both. Nodes named on neither side stay
   * with side a. A partition in force is healed first.
   *
   * @throws IllegalArgumentException when a name is unknown, on both sides, or a side is empty
   */
  public synchronized void partition(Set<String> a, Set<String> b) throws IOException {
    checkOpen();
    if (a.isEmpty() || b.isEmpty()) {
      throw new IllegalArgumentException("a partition needs nodes on both sides, got a=" + a + " b=" + b);
    }
    Set<String> both = new TreeSet<>(a);
    both.retainAll(b);
    if (!both.isEmpty()) {
      throw new IllegalArgumentException("nodes " + both + " are on both sides of the partition");
    }
    Set<String> unknown = new TreeSet<>(a);
    unknown.addAll(b);
    unknown.removeAll(nodes.keySet());
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("unknown nodes " + unknown + " in the partition; the lab has "
          + nodes.keySet());
    }
    heal();
    for (String name : b) {
      Node n = nodes.get(name);
      // cutOff first: should a step fail, heal() still knows to undo what was done.
      cutOff.add(name);
      IpCommand.ip("link", "set", n.hostLink(), "master", names.cutBridge());
      IpCommand.ip("route", "add", n.address() + "/32", "dev", names.cutBridge(), "src", gateway);
    }
  }

  /** The nodes cut off from side a now (side b of the partition in force); empty when healed. */
  public synchronized Set<String> cutOff() {
    return Set.copyOf(cutOff);
  }

  /** Restores every path cut by {@link #partition}; nothing happens when none is in force. */
  public synchronized void heal() throws IOException {
    checkOpen();
    for (String name : List.copyOf(cutOff)) {
      Node n = nodes.get(name);
      IpCommand.ipQuietly("route", "del", n.address() + "/32", "dev", names.cutBridge());
      IpCommand.ip("link", "set", n.hostLink(), "master", names.mainBridge());
      cutOff.remove(name);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("network lab " + names.prefix() + " is closed");
    }
  }

  /**
   * Removes everything the lab made: SIGKILLs processes still in its namespaces, deletes the
   * namespaces (their eth0 goes with them), the root-namespace links and both bridges (their routes
   * go with them). Tries every step whatever fails before; throws at the end naming what it could
   * not remove.
   */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: this is the hook itself
    }
    List<String> failures = new ArrayList<>();
    for (String ns : madeNamespaces) {
      LabCleanup.removeNamespace(ns, failures);
    }
    for (String link : madeLinks) {
      LabCleanup.removeLink(link, failures);
    }
    if (!failures.isEmpty()) {
      throw new IOException("network lab " + names.prefix() + " left " + failures);
    }
  }

  private void closeQuietly() {
    try {
      close();
    } catch (IOException | RuntimeException e) {
      System.err.println("network lab clean-up: " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "NetLab[" + names.prefix() + " " + subnet + ", nodes " + nodes.keySet() + ", cut off " + cutOff + "]";
  }
}

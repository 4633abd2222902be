package dev.braid.coordinator.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.braid.config.SettingsException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Artery over TLS with mutual authentication, from {@code braid.cluster.tls}: two nodes whose
 * certificates chain to the cluster's CA form a cluster; a third whose certificate another CA
 * signed (it trusts the cluster's CA, so only the cluster's check can stop it) never joins.
 */
class ClusterTlsTest {
  @TempDir Path cluster;
  @TempDir Path stranger;

  private static Config node(Path keys, Path trust) {
    Config c = ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.hostname = "127.0.0.1"
        pekko.remote.artery.canonical.port = 0
        pekko.cluster.jmx.enabled = off
        pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
        braid.cluster.tls {
          key-store = "%s"
          key-store-password = "%s"
          trust-store = "%s"
          trust-store-password = "%s"
        }
        """.formatted(keys.resolve("node.p12"), DevCertificates.STORE_PASSWORD, trust.resolve("truststore.p12"),
        DevCertificates.STORE_PASSWORD)).withFallback(ConfigFactory.load());
    return ClusterTls.apply(c);
  }

  private static boolean eventually(long seconds, BooleanSupplier condition) throws InterruptedException {
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < giveUp) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(100);
    }
    return condition.getAsBoolean();
  }

  private static long up(ActorSystem<?> s) {
    return java.util.stream.StreamSupport.stream(Cluster.get(s).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up()).count();
  }

  @Test
  void onlyNodesWithATrustedCertificateJoin() throws Exception {
    DevCertificates.write(cluster, List.of());
    DevCertificates.write(stranger, List.of());
    Config first = node(cluster, cluster);
    assertTrue(ClusterTls.on(first));
    ActorSystem<Void> a = ActorSystem.create(Behaviors.empty(), "braid", first);
    ActorSystem<Void> b = null;
    ActorSystem<Void> c = null;
    try {
      Cluster.get(a).manager().tell(Join.create(Cluster.get(a).selfMember().address()));
      b = ActorSystem.create(Behaviors.empty(), "braid", node(cluster, cluster));
      Cluster.get(b).manager().tell(Join.create(Cluster.get(a).selfMember().address()));
      ActorSystem<Void> bb = b;
      assertTrue(eventually(30, () -> up(a) == 2 && up(bb) == 2), "the trusted node did not join over TLS");

      // The stranger's own certificate is signed by another CA; it trusts the cluster's CA.
      Path mixed = stranger.resolve("mixed");
      java.nio.file.Files.createDirectories(mixed);
      java.nio.file.Files.copy(stranger.resolve("node.p12"), mixed.resolve("node.p12"));
      java.nio.file.Files.copy(cluster.resolve("truststore.p12"), mixed.resolve("truststore.p12"));
      c = ActorSystem.create(Behaviors.empty(), "braid", node(mixed, mixed));
      Cluster.get(c).manager().tell(Join.create(Cluster.get(a).selfMember().address()));
      ActorSystem<Void> cc = c;
      assertTrue(!eventually(10, () -> up(a) > 2 || up(cc) > 0), "a node with an untrusted certificate joined");
      assertEquals(2, up(a));
    } finally {
      for (ActorSystem<Void> s : new ActorSystem[] {c, b, a}) {
        if (s != null) {
          s.terminate();
          s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
      }
    }
  }

  @Test
  void plaintextUnlessAKeyStoreIsSetAndATrustStoreIsRequired() {
    Config plain = ConfigFactory.load();
    assertSame(plain, ClusterTls.apply(plain));
    assertEquals("tcp", plain.getString("pekko.remote.artery.transport"));
    SettingsException e = assertThrows(SettingsException.class, () -> ClusterTls.apply(ConfigFactory.parseString(
        "braid.cluster.tls.key-store = \"" + cluster.resolve("node.p12") + "\"").withFallback(plain)));
    assertTrue(e.getMessage().contains(ClusterTls.PATH + ".key-store"), e.getMessage());
  }
}

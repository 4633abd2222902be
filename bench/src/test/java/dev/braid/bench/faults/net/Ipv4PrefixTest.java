package dev.braid.bench.faults.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class Ipv4PrefixTest {
  @Test
  void parsesAddressesAndPrefixesAndClearsHostBits() {
    assertEquals("10.231.7.0/24", Ipv4Prefix.parse("10.231.7.9/24").toString());
    assertEquals("192.0.2.2/32", Ipv4Prefix.parse("192.0.2.2").toString());
    assertEquals("0.0.0.0/0", Ipv4Prefix.parse("0.0.0.0/0").toString());
  }

  @Test
  void refusesWhatIsNotAPrefixNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ipv4Prefix.parse("10.1.300.0/24"));
    assertTrue(e.getMessage().contains("10.1.300.0/24") && e.getMessage().contains("300"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Ipv4Prefix.parse("10.1.0/24"));
    assertThrows(IllegalArgumentException.class, () -> Ipv4Prefix.parse("10.1.0.0/33"));
  }

  @Test
  void overlapIsSharingAnAddress() {
    Ipv4Prefix lab = Ipv4Prefix.parse("10.231.7.0/24");
    assertTrue(lab.overlaps(Ipv4Prefix.parse("10.0.0.0/8")));
    assertTrue(lab.overlaps(Ipv4Prefix.parse("10.231.7.200")));
    assertFalse(lab.overlaps(Ipv4Prefix.parse("10.231.8.0/24")));
    assertFalse(lab.overlaps(Ipv4Prefix.parse("192.0.2.0/24")));
  }

  @Test
  void hostAddressesStayInsideThePrefix() {
    Ipv4Prefix lab = Ipv4Prefix.parse("10.231.7.0/24");
    assertEquals("10.231.7.1", lab.host(1));
    assertEquals("10.231.7.209", lab.host(209));
    assertThrows(IllegalArgumentException.class, () -> lab.host(255));
    assertThrows(IllegalArgumentException.class, () -> lab.host(0));
  }

  @Test
  void theLabSubnetAvoidsWhatTheHostHoldsButNotTheDefaultRoute() {
    List<Ipv4Prefix> taken = List.of(Ipv4Prefix.parse("0.0.0.0/0"), Ipv4Prefix.parse("10.231.5.0/24"),
        Ipv4Prefix.parse("10.231.6.77"));
    assertEquals("10.231.7.0/24", Ipv4Prefix.freeLabSubnet(taken, 5).orElseThrow().toString());
    assertEquals("10.231.4.0/24", Ipv4Prefix.freeLabSubnet(taken, 4).orElseThrow().toString());
    // Wraps past 255 to 0.
    assertEquals("10.231.0.0/24", Ipv4Prefix.freeLabSubnet(List.of(Ipv4Prefix.parse("10.231.255.0/24")), 255)
        .orElseThrow().toString());
    // A host that routes all of 10/8 leaves nothing.
    assertTrue(Ipv4Prefix.freeLabSubnet(List.of(Ipv4Prefix.parse("10.0.0.0/8")), 0).isEmpty());
  }

  @Test
  void readsThePrefixesOfIpAddrAndIpRouteOutput() {
    String addr = """
        1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
        3: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever
        """;
    String route = """
        default via 192.0.2.1 dev eth0
        10.231.9.0/24 dev brd-abc0-a proto kernel scope link src 10.231.9.1
        10.231.9.12 dev brd-abc0-b scope link src 10.231.9.1
        local 192.0.2.2 dev eth0 table local proto kernel scope host src 192.0.2.2
        broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1
        """;
    assertEquals(List.of("127.0.0.0/8", "192.0.2.0/24"),
        Ipv4Prefix.fromIpOutput(addr).stream().map(Object::toString).toList());
    assertEquals(List.of("10.231.9.0/24", "10.231.9.12/32", "192.0.2.2/32", "127.255.255.255/32"),
        Ipv4Prefix.fromIpOutput(route).stream().map(Object::toString).toList());
  }
}

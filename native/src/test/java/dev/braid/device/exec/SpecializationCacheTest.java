package dev.braid.device.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpecializationCacheTest {
  private final List<String> evicted = new ArrayList<>();
  private final List<String> compiled = new ArrayList<>();

  private String compile(String key) {
    compiled.add(key);
    return "plan of " + key;
  }

  @Test
  void aHeldKeyIsCompiledOnceAndReused() {
    SpecializationCache<String, String> cache = new SpecializationCache<>(2, evicted::add);
    String first = cache.get("k=1", this::compile);
    assertSame(first, cache.get("k=1", this::compile));
    assertEquals(List.of("k=1"), compiled);
    assertEquals(1, cache.compiles());
    assertEquals(1, cache.hits());
  }

  @Test
  void theCacheNeverHoldsMoreThanItsCapacityAndEvictsTheLeastRecentlyUsed() {
    SpecializationCache<String, String> cache = new SpecializationCache<>(2, evicted::add);
    cache.get("a", this::compile);
    cache.get("b", this::compile);
    cache.get("a", this::compile); // a is now more recent than b
    cache.get("c", this::compile);
    assertEquals(2, cache.size());
    assertEquals(List.of("plan of b"), evicted);
    assertTrue(cache.peek("a").isPresent());
    assertTrue(cache.peek("b").isEmpty());
    cache.get("b", this::compile); // compiled again, evicting a (c was used after a)
    assertEquals(List.of("plan of b", "plan of a"), evicted);
    assertEquals(List.of("a", "b", "c", "b"), compiled);
    assertEquals(4, cache.compiles());
    assertEquals(2, cache.evictions());
    assertEquals(cache.compiles(), cache.size() + cache.evictions());
    assertEquals("plan of b", cache.mostRecent().orElseThrow());
  }

  @Test
  void aFailedCompileAddsNothingAndLeavesTheHeldPlansAlone() {
    SpecializationCache<String, String> cache = new SpecializationCache<>(1, evicted::add);
    cache.get("good", this::compile);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> cache.get("bad", k -> { throw new IllegalArgumentException("shape=[-7] is not a shape"); }));
    assertEquals("shape=[-7] is not a shape", e.getMessage());
    assertEquals(1, cache.size());
    assertTrue(cache.peek("good").isPresent());
    assertEquals(List.of(), evicted);
    assertEquals(1, cache.compileFailures());
    assertEquals(1, cache.compiles());
  }

  @Test
  void clearHandsEveryPlanBackWithoutCountingEvictions() {
    SpecializationCache<String, String> cache = new SpecializationCache<>(3, evicted::add);
    cache.get("a", this::compile);
    cache.get("b", this::compile);
    cache.clear();
    assertEquals(List.of("plan of a", "plan of b"), evicted);
    assertEquals(0, cache.size());
    assertEquals(0, cache.evictions());
  }

  @Test
  void aCapacityBelowOneIsRefusedNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new SpecializationCache<String, String>(0, v -> {}));
    assertTrue(e.getMessage().contains("received 0"), e.getMessage());
  }
}

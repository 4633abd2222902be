package dev.braid.coordinator.security;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Who a valid bearer token stands for: the tenant its requests are accounted to (quotas and fair
 * sharing) and the roles it holds.
 */
public record TokenIdentity(String tenant, Set<Role> roles) {
  public TokenIdentity {
    Objects.requireNonNull(tenant, "tenant");
    roles = roles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(roles));
  }

  /** Whether this identity holds at least one of {@code anyOf}. */
  public boolean mayUse(Set<Role> anyOf) {
    return anyOf.stream().anyMatch(roles::contains);
  }
}

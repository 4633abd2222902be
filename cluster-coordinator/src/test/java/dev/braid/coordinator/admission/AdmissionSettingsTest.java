package dev.braid.coordinator.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.braid.config.SettingsException;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** braid.frontend.admission as operators write it. */
class AdmissionSettingsTest {
  private static AdmissionSettings read(String hocon) {
    return AdmissionSettings.from(ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()));
  }

  @Test
  void defaultsAreOneSecondOfQueueAndNoQuotas() {
    AdmissionSettings s = read("");
    assertEquals(Duration.ofSeconds(1), s.maxQueueDelay());
    assertEquals(Optional.empty(), s.quotaOf("anyone"));
  }

  @Test
  void tenantsAndTheDefaultQuotaAreRead() {
    AdmissionSettings s = read("""
        braid.frontend.admission {
          max-queue-delay = 250ms
          default-quota { requests-per-second = 10, burst = 5 }
          tenants { acme { requests-per-second = 200, burst = 50 }, "big.co" { requests-per-second = 0 } }
        }
        """);
    assertEquals(Duration.ofMillis(250), s.maxQueueDelay());
    assertEquals(Optional.of(new TenantQuota(200, 50)), s.quotaOf("acme"));
    assertEquals(Optional.of(new TenantQuota(10, 5)), s.quotaOf("someone"));
    // requests-per-second = 0 is unlimited; a listed unlimited tenant falls back to the default
    assertEquals(Optional.of(new TenantQuota(10, 5)), s.quotaOf("big.co"));
  }

  @Test
  void badValuesNameTheKey() {
    String zero = assertThrows(SettingsException.class,
        () -> read("braid.frontend.admission.max-queue-delay = 0s")).getMessage();
    assertTrue(zero.startsWith("braid.frontend.admission.max-queue-delay"), zero);
    String burst = assertThrows(SettingsException.class,
        () -> read("braid.frontend.admission.tenants.acme { requests-per-second = 5, burst = 0.5 }")).getMessage();
    assertTrue(burst.contains("braid.frontend.admission.tenants.acme") && burst.contains("burst"), burst);
    String missing = assertThrows(SettingsException.class,
        () -> read("braid.frontend.admission.tenants.acme { burst = 3 }")).getMessage();
    assertTrue(missing.contains("requests-per-second"), missing);
  }
}

package dev.braid.conformance;

import java.util.Objects;

/**
 * The outcome of one case.
 *
 * @param id the case, {@code <suite>/<name>}
 * @param verdict what it came to
 * @param reason for REFUSED and ERROR, the short key cases are grouped by (e.g. "unsupported
 *     operator Slice"); for WRONG, "wrong answer"; empty for PASS
 * @param detail the first line of the error, or where the answer differs; empty for PASS
 * @param millis wall time of the case, import to comparison
 */
record CaseOutcome(String id, Verdict verdict, String reason, String detail, long millis) {
  CaseOutcome {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(detail, "detail");
  }

  String suite() {
    return id.substring(0, id.indexOf('/'));
  }
}

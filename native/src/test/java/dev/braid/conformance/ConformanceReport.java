package dev.braid.conformance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The outcomes of a conformance run, counted per suite and per refusal reason, in three forms: the
 * lines the test prints, {@code report.json} (every case with its verdict, reason and detail) and
 * two markdown files: {@code summary.md}, the tables the README carries, and {@code report.md},
 * which adds every reason and every WRONG and ERROR case.
 */
final class ConformanceReport {
  /** Reasons shown in the summary's table; the full report lists them all. */
  static final int SUMMARY_REASONS = 15;

  private final List<String> suites;
  private final List<CaseOutcome> outcomes;

  ConformanceReport(List<String> suites, List<CaseOutcome> outcomes) {
    this.suites = List.copyOf(suites);
    this.outcomes = outcomes.stream().sorted(Comparator.comparing(CaseOutcome::id)).toList();
  }

  List<CaseOutcome> outcomes() {
    return outcomes;
  }

  List<CaseOutcome> with(Verdict v) {
    return outcomes.stream().filter(o -> o.verdict() == v).toList();
  }

  private long count(String suite, Verdict v) {
    return outcomes.stream().filter(o -> (suite == null || o.suite().equals(suite)) && o.verdict() == v).count();
  }

  private long cases(String suite) {
    return outcomes.stream().filter(o -> suite == null || o.suite().equals(suite)).count();
  }

  /** Refused cases per reason and suite; reasons sorted by total, most cases first, then by name. */
  private List<Map.Entry<String, Map<String, Long>>> reasons() {
    Map<String, Map<String, Long>> by = new TreeMap<>();
    for (CaseOutcome o : with(Verdict.REFUSED)) {
      by.computeIfAbsent(o.reason(), k -> new TreeMap<>()).merge(o.suite(), 1L, Long::sum);
    }
    List<Map.Entry<String, Map<String, Long>>> out = new ArrayList<>(by.entrySet());
    out.sort(Comparator.comparingLong((Map.Entry<String, Map<String, Long>> e) -> -total(e.getValue()))
        .thenComparing(Map.Entry::getKey));
    return out;
  }

  private static long total(Map<String, Long> perSuite) {
    return perSuite.values().stream().mapToLong(Long::longValue).sum();
  }

  /** One line per suite and a total, as the test prints them. */
  List<String> lines() {
    List<String> out = new ArrayList<>();
    for (String s : suites) {
      out.add(line(s, s));
    }
    out.add(line("total", null));
    return out;
  }

  private String line(String label, String suite) {
    Map<String, Long> top = new LinkedHashMap<>();
    for (var e : reasons()) {
      long n = suite == null ? total(e.getValue()) : e.getValue().getOrDefault(suite, 0L);
      if (n > 0 && top.size() < 5) {
        top.put(e.getKey(), n);
      }
    }
    return String.format("%-18s %4d cases: %4d passed, %4d refused, %d wrong, %d error; top refusals: %s", label,
        cases(suite), count(suite, Verdict.PASS), count(suite, Verdict.REFUSED), count(suite, Verdict.WRONG),
        count(suite, Verdict.ERROR), top);
  }

  /** The per-suite table and the most common refusal reasons, the README's tables. */
  String summaryMarkdown() {
    StringBuilder b = new StringBuilder();
    b.append("| suite | cases | passed | refused | wrong | error |\n|---|---:|---:|---:|---:|---:|\n");
    for (String s : suites) {
      b.append(row(s, s));
    }
    b.append(row("**total**", null)).append('\n');
    b.append(reasonTable(SUMMARY_REASONS));
    List<Map.Entry<String, Map<String, Long>>> all = reasons();
    if (all.size() > SUMMARY_REASONS) {
      b.append("\nThe other reasons, cases in all suites: ");
      List<String> rest = new ArrayList<>();
      for (var e : all.subList(SUMMARY_REASONS, all.size())) {
        rest.add(e.getKey() + " " + total(e.getValue()));
      }
      b.append(String.join("; ", rest)).append(".\n");
    }
    return b.toString();
  }

  private String row(String label, String suite) {
    return "| " + label + " | " + cases(suite) + " | " + count(suite, Verdict.PASS) + " | "
        + count(suite, Verdict.REFUSED) + " | " + count(suite, Verdict.WRONG) + " | " + count(suite, Verdict.ERROR)
        + " |\n";
  }

  private String reasonTable(int limit) {
    List<Map.Entry<String, Map<String, Long>>> all = reasons();
    StringBuilder b = new StringBuilder("| refused because | " + String.join(" | ", suites) + " | total |\n|---|");
    b.append("---:|".repeat(suites.size() + 1)).append('\n');
    for (var e : all.subList(0, Math.min(limit, all.size()))) {
      b.append("| ").append(e.getKey().replace("|", "\\|")).append(" | ");
      for (String s : suites) {
        b.append(e.getValue().getOrDefault(s, 0L)).append(" | ");
      }
      b.append(total(e.getValue())).append(" |\n");
    }
    if (all.size() > limit) {
      long rest = all.subList(limit, all.size()).stream().mapToLong(e -> total(e.getValue())).sum();
      b.append("| (").append(all.size() - limit).append(" other reasons) |").append(" |".repeat(suites.size()))
          .append(' ').append(rest).append(" |\n");
    }
    return b.toString();
  }

  /** The summary, every refusal reason, and each WRONG and ERROR case with its detail. */
  String fullMarkdown() {
    StringBuilder b = new StringBuilder("# ONNX backend conformance\n\n");
    b.append("| suite | cases | passed | refused | wrong | error |\n|---|---:|---:|---:|---:|---:|\n");
    for (String s : suites) {
      b.append(row(s, s));
    }
    b.append(row("**total**", null)).append("\n## Refused, by reason\n\n").append(reasonTable(Integer.MAX_VALUE));
    for (Verdict v : List.of(Verdict.WRONG, Verdict.ERROR)) {
      b.append("\n## ").append(v).append("\n\n");
      for (CaseOutcome o : with(v)) {
        b.append("- `").append(o.id()).append("`: ").append(o.detail()).append('\n');
      }
    }
    b.append("\n## Passed\n\n");
    for (CaseOutcome o : with(Verdict.PASS)) {
      b.append("- `").append(o.id()).append("`\n");
    }
    return b.toString();
  }

  /** Writes report.json, report.md and summary.md into {@code dir} (created if missing). */
  void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Map<String, Object> json = new LinkedHashMap<>();
    Map<String, Object> perSuite = new LinkedHashMap<>();
    for (String s : suites) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("cases", cases(s));
      for (Verdict v : Verdict.values()) {
        c.put(v.name().toLowerCase(), count(s, v));
      }
      Map<String, Long> refused = new LinkedHashMap<>();
      reasons().stream().filter(e -> e.getValue().containsKey(s))
          .sorted(Comparator.comparingLong((Map.Entry<String, Map<String, Long>> e) -> -e.getValue().get(s))
              .thenComparing(Map.Entry::getKey))
          .forEach(e -> refused.put(e.getKey(), e.getValue().get(s)));
      c.put("refusedByReason", refused);
      perSuite.put(s, c);
    }
    json.put("tolerance", "|got - expected| <= " + OutputComparison.ABS + " + " + OutputComparison.REL
        + " |expected| for floats, exact otherwise");
    json.put("suites", perSuite);
    List<Map<String, Object>> cases = new ArrayList<>();
    for (CaseOutcome o : outcomes) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("id", o.id());
      c.put("verdict", o.verdict().name());
      if (!o.reason().isEmpty()) {
        c.put("reason", o.reason());
        c.put("detail", o.detail());
      }
      c.put("millis", o.millis());
      cases.add(c);
    }
    json.put("cases", cases);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("report.json").toFile(), json);
    Files.writeString(dir.resolve("report.md"), fullMarkdown());
    Files.writeString(dir.resolve("summary.md"), summaryMarkdown());
  }
}

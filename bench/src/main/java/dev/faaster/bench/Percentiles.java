package dev.faaster.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Summary statistics of one measured series, in milliseconds (nearest-rank percentiles). */
public final class Percentiles {

  private Percentiles() {}

  public static double percentile(List<Double> values, double p) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("no values");
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  /** p50, p99, min, max, mean and the count, rounded to 0.01 ms. */
  public static Map<String, Object> summary(List<Double> values) {
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("count", values.size());
    summary.put("p50", round(percentile(values, 50)));
    summary.put("p99", round(percentile(values, 99)));
    summary.put("min", round(Collections.min(values)));
    summary.put("max", round(Collections.max(values)));
    summary.put("mean", round(values.stream().mapToDouble(Double::doubleValue).average().orElse(0)));
    return summary;
  }

  static double round(double value) {
    return Math.round(value * 100.0) / 100.0;
  }
}

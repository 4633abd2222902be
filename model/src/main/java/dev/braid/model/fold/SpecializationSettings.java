package dev.braid.model.fold;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.braid.config.ConfigValues;
import dev.braid.config.SettingsException;

/**
 * Settings of per-request shape specialization ({@link Specialization}), from the {@code
 * braid.model} block (defaults and a comment per key in this module's {@code reference.conf}).
 *
 * @param plansPerModel the most plans kept per model ({@code specializations}), >= 1
 * @param maxElements the most elements of a specialization input ({@code
 *     specialization-max-elements}), >= 1
 */
public record SpecializationSettings(int plansPerModel, int maxElements) {
  /** The HOCON path of this block. */
  public static final String PATH = "braid.model";

  public SpecializationSettings {
    if (plansPerModel < 1) {
      throw SettingsException.invalid(PATH + ".specializations", "an integer >= 1", plansPerModel);
    }
    if (maxElements < 1) {
      throw SettingsException.invalid(PATH + ".specialization-max-elements", "an integer >= 1", maxElements);
    }
  }

  /** The settings of {@code root}'s {@code braid.model} block. */
  public static SpecializationSettings from(Config root) {
    return new SpecializationSettings(ConfigValues.intAtLeast(root, PATH + ".specializations", 1),
        ConfigValues.intAtLeast(root, PATH + ".specialization-max-elements", 1));
  }

  /** The settings of the application's configuration ({@code ConfigFactory.load()}). */
  public static SpecializationSettings load() {
    return from(ConfigFactory.load());
  }
}

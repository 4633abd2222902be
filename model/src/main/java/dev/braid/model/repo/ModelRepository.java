package dev.braid.model.repo;

import dev.braid.model.ModelException;
import dev.braid.model.onnx.ImportedModel;
import dev.braid.model.onnx.OnnxImporter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A Triton-layout model repository: {@code <root>/<model>/config.pbtxt} (optional) and
 * {@code <root>/<model>/<version>/model.onnx}, versions being positive integers (other entries
 * are ignored, as Triton does). Loading is per model and stateless: a model that fails to load
 * throws its own {@link ModelException} and does not affect the others.
 *
 * <p>Model names arrive from clients (RepositoryModelLoad), so every file a load reads (the model's
 * directory, its config, its model files) must resolve inside the repository: a symbolic link
 * whose target lies outside it is refused, naming the link and its target, unless the repository
 * was opened to follow such links ({@code braid.model.repository.follow-links-out}), for operators
 * whose repository links into a shared model store. Links within the repository are always fine.
 */
public final class ModelRepository {
  public static final String CONFIG_FILE = "config.pbtxt";

  private final Path root;
  /** The root with every link resolved, what a model's files must lie under; null to follow links out. */
  private final Path realRoot;

  private ModelRepository(Path root, Path realRoot) {
    this.root = root;
    this.realRoot = realRoot;
  }

  /** Opens {@code root}, refusing links that lead out of it. */
  public static ModelRepository open(Path root) {
    return open(root, false);
  }

  /**
   * Opens {@code root}; with {@code followLinksOut}, model files reached through symbolic links that
   * leave the repository are read too (the operator vouches for their targets).
   */
  public static ModelRepository open(Path root, boolean followLinksOut) {
    if (!Files.isDirectory(root)) {
      throw new ModelException(root + ": model repository not found (expected a directory)");
    }
    if (followLinksOut) {
      return new ModelRepository(root, null);
    }
    try {
      return new ModelRepository(root, root.toRealPath());
    } catch (IOException e) {
      throw new ModelException(root + ": cannot resolve the model repository's path: " + e.getMessage(), e);
    }
  }

  /** Refuses {@code path} when it resolves outside the repository (unless links out are followed). */
  private void requireInside(Path path) {
    if (realRoot == null) {
      return;
    }
    Path real;
    try {
      real = path.toRealPath();
    } catch (IOException e) {
      throw new ModelException(path + ": cannot resolve: " + e.getMessage(), e);
    }
    if (!real.startsWith(realRoot)) {
      throw new ModelException(path + ": expected a file inside the model repository " + realRoot + ", got a link to "
          + real + "; links out of the repository are refused (set braid.model.repository.follow-links-out = true"
          + " to follow them)");
    }
  }

  public Path root() {
    return root;
  }

  /** The model directories' names, sorted. */
  public List<String> models() {
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(Files::isDirectory).map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith(".")).sorted().toList();
    } catch (IOException e) {
      throw new ModelException(root + ": cannot list the model repository: " + e.getMessage(), e);
    }
  }

  /** Outcome of {@link #loadAll()}: each model either loaded or failed with its error. */
  public record LoadResult(Map<String, RepositoryModel> loaded, Map<String, ModelException> failed) {}

  /** Loads every model; failures are collected per model rather than thrown. */
  public LoadResult loadAll() {
    Map<String, RepositoryModel> loaded = new LinkedHashMap<>();
    Map<String, ModelException> failed = new LinkedHashMap<>();
    for (String m : models()) {
      try {
        loaded.put(m, load(m));
      } catch (ModelException e) {
        failed.put(m, e);
      }
    }
    return new LoadResult(loaded, failed);
  }

  /** Loads one model: its config (parsed, or derived from the ONNX file) and selected versions. */
  public RepositoryModel load(String model) {
    Path dir = root.resolve(model);
    if (model.isEmpty() || model.contains("/") || model.contains("\\") || !Files.isDirectory(dir)) {
      throw new ModelException(root + ": model '" + model + "' not found; available models: " + models());
    }
    requireInside(dir);
    Path configFile = dir.resolve(CONFIG_FILE);
    ModelConfig config = null;
    if (Files.isRegularFile(configFile)) {
      requireInside(configFile);
      String text;
      try {
        text = Files.readString(configFile, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new ModelException(configFile + ": cannot read: " + e.getMessage(), e);
      }
      config = ConfigParser.parse(text, configFile.toString(), model);
    }
    List<Long> available = versions(dir);
    if (available.isEmpty()) {
      throw new ModelException(dir + ": model '" + model + "' has no versions; expected numbered directories such"
          + " as " + dir.resolve("1") + " holding the model file");
    }
    VersionPolicy policy = config == null ? new VersionPolicy.Latest(1) : config.versionPolicy();
    String fileName = config == null ? ModelConfig.DEFAULT_MODEL_FILENAME : config.defaultModelFilename();
    SortedMap<Long, ImportedModel> loaded = new TreeMap<>();
    for (long v : policy.select(available)) {
      if (!available.contains(v)) {
        throw new ModelException(configFile + ": field 'version_policy.specific.versions': expected versions present"
            + " in " + dir + " " + available + ", received " + v);
      }
      Path file = dir.resolve(Long.toString(v)).resolve(fileName);
      if (!Files.isRegularFile(file)) {
        throw new ModelException(file + ": model file missing: version " + v + " of model '" + model + "' must hold '"
            + fileName + "'" + (config == null ? "" : " (default_model_filename)"));
      }
      requireInside(file);
      loaded.put(v, OnnxImporter.load(file));
    }
    if (config == null) {
      config = ConfigDeriver.derive(model, loaded.get(loaded.lastKey()));
    } else {
      config = ConfigDeriver.complete(config, loaded.get(loaded.lastKey()));
      for (ImportedModel m : loaded.values()) {
        ConfigValidator.validate(config, m, configFile.toString());
      }
    }
    return new RepositoryModel(model, config, loaded);
  }

  private static List<Long> versions(Path dir) {
    List<Long> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String n = p.getFileName().toString();
        if (Files.isDirectory(p) && n.matches("[1-9][0-9]{0,17}")) {
          out.add(Long.parseLong(n));
        }
      }
    } catch (IOException e) {
      throw new ModelException(dir + ": cannot list versions: " + e.getMessage(), e);
    }
    out.sort(null);
    return out;
  }
}

package dev.braid.coordinator.frontend;

import com.typesafe.config.Config;
import dev.braid.coordinator.frontend.internal.Statuses;
import dev.braid.device.Device;
import dev.braid.gpu.GpuActor;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.repo.ModelRepository;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;

/**
 * One node with every role: a {@link GpuActor} on one device (the actor system's guardian), the
 * {@link InferenceService} over it and the {@link FrontDoorServer}. {@link #start} loads every
 * model of the repository, one after another (loading is compute-bound and a 2-core machine gains
 * nothing from doing two at once), then marks the server ready and opens the ports.
 *
 * <p>Lifecycle: starting (loading) -> serving -> closed ({@link #close()}: ServerReady turns
 * false, the GPU actor drains its in-flight work, the servers stop, the actor system terminates
 * and the device is closed with it).
 */
public final class SingleNode implements AutoCloseable {
  /** One model's outcome at start: loaded (version, weights) or failed (why). */
  public record ModelOutcome(String name, long version, long weightsBytes, String error) {
    public boolean loaded() {
      return error == null;
    }
  }

  private final ActorSystem<GpuActor.Command> system;
  private final InferenceService service;
  private final FrontDoorServer server;
  private final List<ModelOutcome> outcomes;
  private final FrontendSettings settings;

  private SingleNode(ActorSystem<GpuActor.Command> system, InferenceService service, FrontDoorServer server,
      List<ModelOutcome> outcomes, FrontendSettings settings) {
    this.system = system;
    this.service = service;
    this.server = server;
    this.outcomes = List.copyOf(outcomes);
    this.settings = settings;
  }

  /**
   * Starts the node; blocks until every model has loaded or failed and the ports are bound.
   *
   * @param device opened by the caller (so that a bad device is a clear error before anything
   *     starts); the actor closes it when it stops
   * @param config the actor system's configuration
   */
  public static SingleNode start(ModelRepository repository, Device device, GpuSettings gpuSettings,
      FrontendSettings settings, Config config, String serverVersion) throws IOException {
    ActorSystem<GpuActor.Command> system = ActorSystem.create(GpuActor.create(() -> device, gpuSettings), "braid",
        config);
    try {
      InferenceService service = new InferenceService(system, repository, settings, system.scheduler(),
          system.dispatchers().lookup(DispatcherSelector.blocking()), serverVersion);
      List<ModelOutcome> outcomes = new ArrayList<>();
      for (String name : repository.models()) {
        try {
          InferenceService.Loaded l = service.load(name).toCompletableFuture()
              .get(settings.loadTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
          outcomes.add(new ModelOutcome(name, l.version(), l.weightsBytes(), null));
        } catch (java.util.concurrent.ExecutionException | CompletionException e) {
          outcomes.add(new ModelOutcome(name, 0, 0, Statuses.of(e).getStatus().getDescription()));
        } catch (java.util.concurrent.TimeoutException e) {
          outcomes.add(new ModelOutcome(name, 0, 0, "did not load within " + settings.loadTimeout()));
        }
      }
      service.markReady();
      FrontDoorServer server = FrontDoorServer.start(service, settings);
      return new SingleNode(system, service, server, outcomes, settings);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      system.terminate();
      throw new IOException("interrupted while loading models", e);
    } catch (IOException | RuntimeException e) {
      system.terminate();
      throw e;
    }
  }

  public List<ModelOutcome> outcomes() {
    return outcomes;
  }

  public int grpcPort() {
    return server.grpcPort();
  }

  public int httpPort() {
    return server.httpPort();
  }

  public InferenceService service() {
    return service;
  }

  /** Drains the GPU actor (in-flight requests finish), then stops the servers and the actors. */
  @Override
  public void close() {
    try {
      service.drain().toCompletableFuture().get(settings.loadTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      system.log().warn("drain did not finish: {}", e.toString());
    } finally {
      server.close();
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        system.log().warn("actor system did not terminate: {}", e.toString());
      }
    }
  }
}

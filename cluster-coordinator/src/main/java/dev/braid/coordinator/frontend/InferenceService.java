package dev.braid.coordinator.frontend;

import dev.braid.coordinator.cluster.ClusterClient;
import dev.braid.coordinator.cluster.ClusterClient.ModelView;
import dev.braid.coordinator.frontend.internal.Asks;
import dev.braid.coordinator.frontend.internal.ConfigWire;
import dev.braid.coordinator.frontend.internal.InferInputs;
import dev.braid.coordinator.frontend.internal.OipDatatypes;
import dev.braid.coordinator.frontend.internal.Statuses;
import dev.braid.coordinator.frontend.limits.RequestLimits;
import dev.braid.model.Tensor;
import dev.braid.model.repo.ModelConfig;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.repo.TensorConfig;
import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.grpc.ModelConfigRequest;
import dev.braid.protocol.grpc.ModelConfigResponse;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferResponse;
import dev.braid.protocol.grpc.ModelMetadataRequest;
import dev.braid.protocol.grpc.ModelMetadataResponse;
import dev.braid.protocol.grpc.ModelReadyRequest;
import dev.braid.protocol.grpc.ModelReadyResponse;
import dev.braid.protocol.grpc.ModelStreamInferResponse;
import dev.braid.protocol.grpc.RepositoryIndexRequest;
import dev.braid.protocol.grpc.RepositoryIndexResponse;
import dev.braid.protocol.grpc.RepositoryModelLoadRequest;
import dev.braid.protocol.grpc.RepositoryModelLoadResponse;
import dev.braid.protocol.grpc.RepositoryModelUnloadRequest;
import dev.braid.protocol.grpc.RepositoryModelUnloadResponse;
import dev.braid.protocol.grpc.ServerLiveRequest;
import dev.braid.protocol.grpc.ServerLiveResponse;
import dev.braid.protocol.grpc.ServerMetadataRequest;
import dev.braid.protocol.grpc.ServerMetadataResponse;
import dev.braid.protocol.grpc.ServerReadyRequest;
import dev.braid.protocol.grpc.ServerReadyResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;

/**
 * The Open Inference Protocol (KServe v2) over the cluster, independent of the transport: each
 * RPC turns the request into the cluster's terms and the answer into the response, or fails with a
 * {@link StatusRuntimeException} whose status and message say what was wrong (NOT_FOUND for an
 * unknown model or version, naming the loaded ones; INVALID_ARGUMENT for a wrong input, naming
 * it, the expected and the received; RESOURCE_EXHAUSTED for a message over the limit or a cluster
 * too loaded to take it; DEADLINE_EXCEEDED when the budget ran out or cannot be met; UNAVAILABLE
 * while draining, while a model has no serving replica, or when its replica went away and the one
 * retry could not make it). A failed request never affects the next one.
 *
 * <p>Requests go through the {@link ClusterClient} straight to a GPU; loads and unloads go to the
 * coordinator, which places the model and answers once it serves (or failed). What this frontend
 * tells of a model (ready, version, metadata) comes from the coordinator's latest routing table,
 * with the model's configuration read from this node's copy of the repository.
 *
 * <p>Budget: the earliest of the request's deadline parameters ({@link RequestParameters}), the
 * call's own deadline (given by the transport) and {@code braid.frontend.default-timeout}.
 *
 * <p>Lifecycle: not ready -> ready ({@link #markReady()}, once the models present at start serve or
 * failed) -> draining ({@link #drain()}: ServerReady turns false, new requests are refused
 * UNAVAILABLE, the requests in flight finish). Live throughout.
 */
public final class InferenceService {
  /**
   * What {@code ServerMetadata} lists: Triton's extensions Braid serves (the repository,
   * classification, ModelConfig, statistics) and Braid's request parameters.
   */
  public static final List<String> EXTENSIONS = List.of("model_repository", "classification", "model_configuration",
      "statistics", "braid_request_parameters");

  private final ClusterClient cluster;
  private final ActorRef<CoordinatorWire.Command> coordinator;
  private final ModelRepository repository;
  private final FrontendSettings settings;
  private final Scheduler scheduler;
  private final Executor blocking;
  private final String serverVersion;
  private final ServedModels models;
  private volatile boolean ready;
  private volatile boolean draining;
  private final RequestGate gate = new RequestGate();

  /**
   * @param coordinator the coordinator singleton (its proxy)
   * @param repository where model configurations are read and RepositoryIndex lists models
   * @param blocking runs repository reads (model files), never the caller's thread
   * @param serverVersion what ServerMetadata reports
   */
  public InferenceService(ClusterClient cluster, ActorRef<CoordinatorWire.Command> coordinator,
      ModelRepository repository, FrontendSettings settings, Scheduler scheduler, Executor blocking,
      String serverVersion) {
    this.cluster = cluster;
    this.coordinator = coordinator;
    this.repository = repository;
    this.settings = settings;
    this.scheduler = scheduler;
    this.blocking = blocking;
    this.serverVersion = serverVersion;
    this.models = new ServedModels(cluster, repository, blocking);
    // Read a model's configuration as soon as the cluster serves it, not on its first request.
    cluster.onChange(() -> cluster.models().values().stream().filter(ModelView::ready).forEach(v -> models.config(v.name())));
  }

  /** The models present at start serve (or failed): ServerReady may answer true. */
  public void markReady() {
    ready = true;
  }

  /**
   * Stops taking work: ServerReady turns false and new requests are refused UNAVAILABLE; completes
   * once the requests taken have been answered, those still on their way to the cluster included
   * ({@link RequestGate}), and nothing is in the cluster's flight (or after the load timeout).
   */
  public CompletionStage<Void> drain() {
    draining = true;
    CompletableFuture<Void> taken = gate.close().toCompletableFuture();
    CompletableFuture<Void> done = new CompletableFuture<>();
    long giveUp = System.nanoTime() + settings.loadTimeout().toNanos();
    Runnable[] poll = new Runnable[1];
    poll[0] = () -> {
      if (taken.isDone() && cluster.inFlight() == 0 || System.nanoTime() > giveUp) {
        done.complete(null);
      } else {
        CompletableFuture.runAsync(poll[0], CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS));
      }
    };
    poll[0].run();
    return done;
  }

  public boolean isReady() {
    return ready && !draining;
  }

  /** The client this service sends requests through. */
  public ClusterClient cluster() {
    return cluster;
  }

  // ---- health and metadata ----

  public CompletionStage<ServerLiveResponse> serverLive(ServerLiveRequest request) {
    return CompletableFuture.completedFuture(ServerLiveResponse.newBuilder().setLive(true).build());
  }

  public CompletionStage<ServerReadyResponse> serverReady(ServerReadyRequest request) {
    return CompletableFuture.completedFuture(ServerReadyResponse.newBuilder().setReady(isReady()).build());
  }

  public CompletionStage<ModelReadyResponse> modelReady(ModelReadyRequest request) {
    boolean ok = !draining && models.served(request.getName())
        .filter(e -> ServedModels.versionMatches(e, request.getVersion())).isPresent();
    return CompletableFuture.completedFuture(ModelReadyResponse.newBuilder().setReady(ok).build());
  }

  public CompletionStage<ServerMetadataResponse> serverMetadata(ServerMetadataRequest request) {
    return CompletableFuture.completedFuture(ServerMetadataResponse.newBuilder()
        .setName("braid").setVersion(serverVersion).addAllExtensions(EXTENSIONS).build());
  }

  public CompletionStage<ModelMetadataResponse> modelMetadata(ModelMetadataRequest request) {
    return Statuses.attempt(() -> {
      ServedModels.Served e = models.readyModel(request.getName(), request.getVersion());
      ModelConfig c = e.config();
      ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder().setName(e.name())
          .addVersions(String.valueOf(e.version())).setPlatform(c.platform() == null ? "" : c.platform());
      for (TensorConfig in : c.inputs()) {
        b.addInputs(tensorMetadata(in, c.maxBatchSize()));
      }
      for (TensorConfig out : c.outputs()) {
        b.addOutputs(tensorMetadata(out, c.maxBatchSize()));
      }
      return CompletableFuture.completedFuture(b.build());
    });
  }

  /** The model's configuration as Triton's ModelConfig ({@link ConfigWire}), its bytes in the response. */
  public CompletionStage<ModelConfigResponse> modelConfig(ModelConfigRequest request) {
    return Statuses.attempt(() -> CompletableFuture.completedFuture(ModelConfigResponse.newBuilder()
        .setConfig(ConfigWire.of(models.readyModel(request.getName(), request.getVersion()).config()).toByteString())
        .build()));
  }

  // ---- inference ----

  /**
   * One inference.
   *
   * @param callDeadline the time left on the call's own deadline, if the transport has one
   */
  public CompletionStage<ModelInferResponse> modelInfer(ModelInferRequest request, Optional<Duration> callDeadline) {
    // Triton's request counters and the latency histogram (dev.braid.coordinator.metrics).
    return cluster.metrics().track(request.getModelName(), System.nanoTime(), Statuses.attempt(() -> {
      int size = request.getSerializedSize();
      if (size > settings.maxInboundMessageBytes()) {
        throw Statuses.resourceExhausted("request of " + size + " bytes is over the limit of "
            + settings.maxInboundMessageBytes() + " bytes (braid.frontend.max-inbound-message-bytes)");
      }
      RequestLimits.check(request, settings.limits()); // before anything is allocated from it
      if (!gate.enter()) {
        throw Statuses.unavailable("this frontend is draining; send requests to another");
      }
      try {
        return admitted(request, callDeadline).whenComplete((response, failure) -> gate.exit());
      } catch (RuntimeException e) {
        gate.exit();
        throw e;
      }
    }));
  }

  /** A request the gate took, until the cluster answers it. */
  private CompletionStage<ModelInferResponse> admitted(ModelInferRequest request, Optional<Duration> callDeadline) {
    String name = request.getModelName();
    if (models.served(name).isEmpty() && cluster.model(name).filter(ModelView::ready).isPresent()) {
      // It serves, and this frontend is still reading its configuration (once per model).
      return models.config(name).handle((c, failure) -> null)
          .thenCompose(x -> infer(request, callDeadline, models.readyModel(name, request.getModelVersion())));
    }
    return infer(request, callDeadline, models.readyModel(name, request.getModelVersion()));
  }

  private CompletionStage<ModelInferResponse> infer(ModelInferRequest request, Optional<Duration> callDeadline,
      ServedModels.Served e) {
    Map<String, Tensor> inputs = InferInputs.decode(request, e.config());
    List<String> outputs = InferResponses.requestedOutputs(request, e.config());
    RequestParameters params = RequestParameters.parse(request.getParametersMap());
    Duration budget = settings.defaultTimeout();
    if (params.deadline().isPresent() && params.deadline().get().compareTo(budget) < 0) {
      budget = params.deadline().get();
    }
    if (callDeadline.isPresent() && callDeadline.get().compareTo(budget) < 0) {
      budget = callDeadline.get();
    }
    if (budget.isNegative() || budget.isZero()) {
      throw Statuses.deadlineExceeded("model '" + e.name() + "': the call's deadline had passed on arrival");
    }
    CompletableFuture<Map<String, Tensor>> sent = cluster.infer(e.name(), request.getModelVersion(), inputs, budget,
        params.priority(), params.tenant(), request.getId());
    // A gRPC call's context is cancelled when its client cancels or its deadline passes (and once it
    // completes, when this is a no-op): the request is then withdrawn from its GPU.
    io.grpc.Context.current().addListener(c -> sent.cancel(false), Runnable::run);
    return sent
        .thenApply(answer -> InferResponses.response(request, e, outputs, answer, params.typedOutputs()));
  }

  /**
   * One request of a ModelStreamInfer stream: never fails; an error becomes the response's
   * {@code error_message} ("CODE: message"), with the request's model and id so that the client
   * can tell which request it answers.
   */
  public CompletionStage<ModelStreamInferResponse> modelStreamInfer(ModelInferRequest request,
      Optional<Duration> callDeadline) {
    return modelInfer(request, callDeadline).handle((response, failure) -> {
      if (failure == null) {
        return ModelStreamInferResponse.newBuilder().setInferResponse(response).build();
      }
      Status s = Statuses.of(failure).getStatus();
      return ModelStreamInferResponse.newBuilder()
          .setErrorMessage(s.getCode() + ": " + s.getDescription())
          .setInferResponse(ModelInferResponse.newBuilder().setModelName(request.getModelName())
              .setModelVersion(request.getModelVersion()).setId(request.getId()))
          .build();
    });
  }

  // ---- the repository ----

  public CompletionStage<RepositoryIndexResponse> repositoryIndex(RepositoryIndexRequest request) {
    return Statuses.attempt(() -> CompletableFuture.supplyAsync(repository::models, blocking).thenApply(available -> {
      TreeSet<String> names = new TreeSet<>(available);
      names.addAll(cluster.models().keySet());
      RepositoryIndexResponse.Builder b = RepositoryIndexResponse.newBuilder();
      for (String name : names) {
        Optional<ModelView> view = cluster.model(name);
        String state = view.map(ModelView::state).orElse("UNAVAILABLE");
        if (request.getReady() && !state.equals("READY")) {
          continue;
        }
        b.addModelsBuilder().setName(name)
            .setVersion(view.filter(v -> v.version() > 0).map(v -> String.valueOf(v.version())).orElse(""))
            .setState(state).setReason(view.map(ModelView::reason).orElse("not loaded"));
      }
      return b.build();
    }));
  }

  public CompletionStage<RepositoryModelLoadResponse> repositoryModelLoad(RepositoryModelLoadRequest request) {
    return Statuses.attempt(() -> load(request.getModelName())
        .thenApply(e -> RepositoryModelLoadResponse.getDefaultInstance()));
  }

  public CompletionStage<RepositoryModelUnloadResponse> repositoryModelUnload(RepositoryModelUnloadRequest request) {
    return Statuses.attempt(() -> {
      String name = request.getModelName();
      return Asks.<CoordinatorWire.Command, CoordinatorWire.ModelReply>ask(coordinator,
              replyTo -> new CoordinatorWire.UnloadModel(name, replyTo), settings.loadTimeout(), scheduler)
          .handle((reply, failure) -> {
            if (failure != null) {
              throw Statuses.unavailable("model '" + name + "': the coordinator did not confirm the unload within "
                  + settings.loadTimeout() + ": " + failure.getMessage());
            }
            if (!reply.ok()) {
              throw modelStatus(reply);
            }
            return RepositoryModelUnloadResponse.getDefaultInstance();
          });
    });
  }

  /**
   * Has the cluster serve {@code name} from the repository. Completes once a replica serves it and
   * this frontend has its configuration; fails NOT_FOUND when the repository has no such model,
   * FAILED_PRECONDITION when it does not load (its reason in the message), UNAVAILABLE when no GPU
   * can hold it. A model already serving is left as is.
   */
  public CompletionStage<Loaded> load(String name) {
    return Statuses.attempt(() -> {
      if (name.isEmpty()) {
        throw Statuses.invalidArgument("model_name: expected a model of the repository " + repository.models()
            + ", received ''");
      }
      return Asks.<CoordinatorWire.Command, CoordinatorWire.ModelReply>ask(coordinator,
              replyTo -> new CoordinatorWire.LoadModel(name, replyTo), settings.loadTimeout(), scheduler)
          .handle((reply, failure) -> {
            if (failure != null) {
              throw Statuses.unavailable("model '" + name + "' did not load within " + settings.loadTimeout() + ": "
                  + failure.getMessage());
            }
            if (!reply.ok()) {
              throw modelStatus(reply);
            }
            return reply;
          })
          .thenCompose(reply -> models.config(name).thenApply(c -> new Loaded(name, reply.version(), 0)));
    });
  }

  /** A model now READY. */
  public record Loaded(String name, long version, long weightsBytes) {}

  /**
   * Whether every model of {@code names} serves with its configuration read here, or has failed
   * to load; reads the configurations of the models that serve.
   *
   * @param placementIsFinal whether a model the coordinator could not place (no GPU yet) counts as
   *     settled: true on a frontend without GPUs, which should not wait for GPU nodes to join;
   *     false on a node whose own GPUs are about to report
   */
  public boolean settled(List<String> names, boolean placementIsFinal) {
    boolean all = true;
    for (String name : names) {
      Optional<ModelView> v = cluster.model(name);
      if (v.isEmpty() || v.get().state().equals("LOADING")) {
        all = false;
      } else if (v.get().ready()) {
        CompletableFuture<ModelConfig> c = models.config(name);
        all &= c.isDone();
      } else if (v.get().reason().isEmpty() || !placementIsFinal && !v.get().reason().startsWith("failed to load")) {
        all = false;
      }
    }
    return all;
  }

  private static StatusRuntimeException modelStatus(CoordinatorWire.ModelReply reply) {
    Status.Code code;
    try {
      code = Status.Code.valueOf(reply.code());
    } catch (IllegalArgumentException e) {
      code = Status.Code.UNKNOWN;
    }
    return Status.fromCode(code).withDescription(reply.message()).asRuntimeException();
  }

  private static ModelMetadataResponse.TensorMetadata tensorMetadata(TensorConfig t, int maxBatchSize) {
    ModelMetadataResponse.TensorMetadata.Builder b = ModelMetadataResponse.TensorMetadata.newBuilder()
        .setName(t.name()).setDatatype(OipDatatypes.name(t.dtype()));
    for (long d : InferInputs.protocolDims(t, maxBatchSize)) {
      b.addShape(d);
    }
    return b.build();
  }
}

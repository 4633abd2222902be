package dev.braid.coordinator.frontend;

import dev.braid.coordinator.frontend.internal.Asks;
import dev.braid.coordinator.frontend.internal.InferInputs;
import dev.braid.coordinator.frontend.internal.OipDatatypes;
import dev.braid.coordinator.frontend.internal.ServedModels;
import dev.braid.coordinator.frontend.internal.ServedModels.Entry;
import dev.braid.coordinator.frontend.internal.ServedModels.State;
import dev.braid.coordinator.frontend.internal.Statuses;
import dev.braid.coordinator.frontend.internal.TensorCodec;
import dev.braid.gpu.GpuActor;
import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Tensor;
import dev.braid.model.repo.ModelConfig;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.model.repo.TensorConfig;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;

/**
 * The Open Inference Protocol (KServe v2) over one {@link GpuActor}, independent of the transport:
 * each RPC turns the request into the actor's terms, asks with a timeout, and turns the answer
 * into the response, or fails with a {@link StatusRuntimeException} whose status and message say
 * what was wrong (NOT_FOUND for an unknown model or version, naming the loaded ones;
 * INVALID_ARGUMENT for a wrong input, naming it, the expected and the received; RESOURCE_EXHAUSTED
 * for a message over the limit; DEADLINE_EXCEEDED when the budget ran out; UNAVAILABLE while
 * draining or once a model is unloaded). A failed request never affects the next one.
 *
 * <p>Budget: the earliest of the request's deadline parameters ({@link RequestParameters}), the
 * call's own deadline (given by the transport) and {@code braid.frontend.default-timeout}; the
 * actor gets it as the request's latency budget and answers TOO_LATE once it is spent.
 *
 * <p>Lifecycle: not ready -> ready ({@link #markReady()}, once the models present at start are
 * loaded) -> draining ({@link #drain()}: ServerReady turns false, the actor refuses new work with
 * UNAVAILABLE and finishes what it holds). Live throughout.
 */
public final class InferenceService {
  /** What {@code ServerMetadata} lists: the repository extension and Braid's request parameters. */
  public static final List<String> EXTENSIONS = List.of("model_repository", "braid_request_parameters");

  private final ActorRef<GpuActor.Command> gpu;
  private final ModelRepository repository;
  private final FrontendSettings settings;
  private final Scheduler scheduler;
  private final Executor blocking;
  private final String serverVersion;
  private final ServedModels models = new ServedModels();
  private volatile boolean ready;
  private volatile boolean draining;

  /**
   * @param repository where RepositoryModelLoad finds models and RepositoryIndex lists them
   * @param blocking runs repository reads (model files), never the caller's thread
   * @param serverVersion what ServerMetadata reports
   */
  public InferenceService(ActorRef<GpuActor.Command> gpu, ModelRepository repository, FrontendSettings settings,
      Scheduler scheduler, Executor blocking, String serverVersion) {
    this.gpu = gpu;
    this.repository = repository;
    this.settings = settings;
    this.scheduler = scheduler;
    this.blocking = blocking;
    this.serverVersion = serverVersion;
  }

  /** The models present at start are loaded (or failed): ServerReady may answer true. */
  public void markReady() {
    ready = true;
  }

  /** Stops taking work: ServerReady turns false and the actor drains; completes when it has. */
  public CompletionStage<GpuActor.Drained> drain() {
    draining = true;
    return Asks.ask(gpu, GpuActor.Drain::new, settings.loadTimeout(), scheduler);
  }

  public boolean isReady() {
    return ready && !draining;
  }

  // ---- health and metadata ----

  public CompletionStage<ServerLiveResponse> serverLive(ServerLiveRequest request) {
    return CompletableFuture.completedFuture(ServerLiveResponse.newBuilder().setLive(true).build());
  }

  public CompletionStage<ServerReadyResponse> serverReady(ServerReadyRequest request) {
    return CompletableFuture.completedFuture(ServerReadyResponse.newBuilder().setReady(isReady()).build());
  }

  public CompletionStage<ModelReadyResponse> modelReady(ModelReadyRequest request) {
    boolean ok = !draining && models.get(request.getName())
        .filter(e -> e.state() == State.READY && versionMatches(e, request.getVersion())).isPresent();
    return CompletableFuture.completedFuture(ModelReadyResponse.newBuilder().setReady(ok).build());
  }

  public CompletionStage<ServerMetadataResponse> serverMetadata(ServerMetadataRequest request) {
    return CompletableFuture.completedFuture(ServerMetadataResponse.newBuilder()
        .setName("braid").setVersion(serverVersion).addAllExtensions(EXTENSIONS).build());
  }

  public CompletionStage<ModelMetadataResponse> modelMetadata(ModelMetadataRequest request) {
    return attempt(() -> {
      Entry e = readyModel(request.getName(), request.getVersion());
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

  // ---- inference ----

  /**
   * One inference.
   *
   * @param callDeadline the time left on the call's own deadline, if the transport has one
   */
  public CompletionStage<ModelInferResponse> modelInfer(ModelInferRequest request, Optional<Duration> callDeadline) {
    return attempt(() -> {
      int size = request.getSerializedSize();
      if (size > settings.maxInboundMessageBytes()) {
        throw Statuses.resourceExhausted("request of " + size + " bytes is over the limit of "
            + settings.maxInboundMessageBytes() + " bytes (braid.frontend.max-inbound-message-bytes)");
      }
      Entry e = readyModel(request.getModelName(), request.getModelVersion());
      Map<String, Tensor> inputs = InferInputs.decode(request, e.config());
      List<String> outputs = requestedOutputs(request, e.config());
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
      Duration granted = budget;
      CompletionStage<GpuActor.InferReply> reply = Asks.ask(gpu,
          replyTo -> new GpuActor.Infer(e.name(), inputs, granted, params.priority(), replyTo),
          budget.plus(settings.replyGrace()), scheduler);
      return reply.handle((answer, failure) -> {
        if (failure != null) {
          throw noAnswer(e.name(), granted, failure);
        }
        if (answer instanceof GpuActor.InferCompleted done) {
          return response(request, e, outputs, done.outputs(), params.typedOutputs());
        }
        GpuActor.InferFailed failed = (GpuActor.InferFailed) answer;
        throw status(failed);
      });
    });
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
    return attempt(() -> {
      TreeSet<String> names = new TreeSet<>(repository.models());
      models.all().forEach(e -> names.add(e.name()));
      RepositoryIndexResponse.Builder b = RepositoryIndexResponse.newBuilder();
      for (String name : names) {
        Entry e = models.get(name).orElse(new Entry(name, State.UNAVAILABLE, null, 0, "not loaded"));
        if (request.getReady() && e.state() != State.READY) {
          continue;
        }
        b.addModelsBuilder().setName(name).setVersion(e.version() > 0 ? String.valueOf(e.version()) : "")
            .setState(e.state().name()).setReason(e.reason());
      }
      return CompletableFuture.completedFuture(b.build());
    });
  }

  public CompletionStage<RepositoryModelLoadResponse> repositoryModelLoad(RepositoryModelLoadRequest request) {
    return attempt(() -> load(request.getModelName())
        .thenApply(e -> RepositoryModelLoadResponse.getDefaultInstance()));
  }

  public CompletionStage<RepositoryModelUnloadResponse> repositoryModelUnload(RepositoryModelUnloadRequest request) {
    return attempt(() -> {
      String name = request.getModelName();
      if (!models.beginUnload(name)) {
        throw Statuses.notFound("model '" + name + "' is not loaded; loaded models: " + models.readyDescription());
      }
      Entry before = models.get(name).orElseThrow();
      return Asks.<GpuActor.Command, GpuActor.ModelUnloaded>ask(gpu,
              replyTo -> new GpuActor.UnloadModel(name, replyTo), settings.loadTimeout(), scheduler)
          .handle((unloaded, failure) -> {
            models.put(new Entry(name, State.UNAVAILABLE, before.config(), 0,
                failure == null ? "unloaded" : "unload did not finish: " + failure.getMessage()));
            if (failure != null) {
              throw Statuses.unavailable("model '" + name + "': unload did not finish within "
                  + settings.loadTimeout() + ": " + failure.getMessage());
            }
            return RepositoryModelUnloadResponse.getDefaultInstance();
          });
    });
  }

  /**
   * Loads {@code name} from the repository onto the GPU actor. Completes with the model's READY
   * entry; fails NOT_FOUND when the repository has no such model, FAILED_PRECONDITION when it
   * does not load (its reason in the message). A model already loaded or loading is left as is.
   */
  public CompletionStage<Loaded> load(String name) {
    return attempt(() -> {
      if (name.isEmpty()) {
        throw Statuses.invalidArgument("model_name: expected a model of the repository " + repository.models()
            + ", received ''");
      }
      List<String> available = repository.models();
      if (!available.contains(name)) {
        throw Statuses.notFound("model '" + name + "' not found in the repository " + repository.root()
            + "; available models: " + available);
      }
      if (!models.beginLoad(name)) {
        Entry e = models.get(name).orElseThrow();
        if (e.state() == State.READY) {
          return CompletableFuture.completedFuture(new Loaded(name, e.version(), 0));
        }
        throw Statuses.unavailable("model '" + name + "' is " + e.state().name().toLowerCase() + "; retry later");
      }
      return CompletableFuture.supplyAsync(() -> repository.load(name), blocking)
          .thenCompose(model -> Asks.<GpuActor.Command, GpuActor.LoadReply>ask(gpu,
                  replyTo -> new GpuActor.LoadModel(name, model, replyTo), settings.loadTimeout(), scheduler)
              .thenApply(reply -> loaded(name, model, reply)))
          .whenComplete((ok, failure) -> {
            if (failure != null) {
              Throwable cause = failure instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                  ? c.getCause() : failure;
              String reason = cause instanceof StatusRuntimeException s ? s.getStatus().getDescription()
                  : String.valueOf(cause.getMessage());
              models.put(new Entry(name, State.UNAVAILABLE, null, 0, reason));
            }
          })
          .exceptionally(failure -> {
            Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
            if (cause instanceof StatusRuntimeException s) {
              throw s;
            }
            if (cause instanceof ModelException) {
              throw Statuses.failedPrecondition("model '" + name + "' failed to load: " + cause.getMessage());
            }
            throw Statuses.unavailable("model '" + name + "' did not load within " + settings.loadTimeout() + ": "
                + cause);
          });
    });
  }

  /** A model now READY. */
  public record Loaded(String name, long version, long weightsBytes) {}

  private Loaded loaded(String name, RepositoryModel model, GpuActor.LoadReply reply) {
    if (reply instanceof GpuActor.ModelLoaded l) {
      models.put(new Entry(name, State.READY, model.config(), l.version(), ""));
      return new Loaded(name, l.version(), l.weightsBytes());
    }
    GpuActor.LoadFailed f = (GpuActor.LoadFailed) reply;
    throw Statuses.failedPrecondition("model '" + name + "' failed to load: " + f.reason());
  }

  // ---- helpers ----

  private Entry readyModel(String name, String version) {
    Optional<Entry> found = models.get(name).filter(e -> e.state() == State.READY);
    if (found.isEmpty()) {
      throw Statuses.notFound("unknown model '" + name + "'; loaded models: " + models.readyDescription());
    }
    Entry e = found.get();
    if (!versionMatches(e, version)) {
      throw Statuses.notFound("model '" + name + "' has no version '" + version + "'; loaded models: "
          + models.readyDescription());
    }
    return e;
  }

  private static boolean versionMatches(Entry e, String version) {
    return version.isEmpty() || version.equals(String.valueOf(e.version()));
  }

  private static ModelMetadataResponse.TensorMetadata tensorMetadata(TensorConfig t, int maxBatchSize) {
    ModelMetadataResponse.TensorMetadata.Builder b = ModelMetadataResponse.TensorMetadata.newBuilder()
        .setName(t.name()).setDatatype(OipDatatypes.name(t.dtype()));
    for (long d : InferInputs.protocolDims(t, maxBatchSize)) {
      b.addShape(d);
    }
    return b.build();
  }

  private static List<String> requestedOutputs(ModelInferRequest request, ModelConfig config) {
    List<String> declared = config.outputs().stream().map(TensorConfig::name).toList();
    if (request.getOutputsCount() == 0) {
      return declared;
    }
    List<String> names = new ArrayList<>();
    for (ModelInferRequest.InferRequestedOutputTensor o : request.getOutputsList()) {
      if (!declared.contains(o.getName())) {
        throw Statuses.invalidArgument("model '" + request.getModelName() + "': unknown output '" + o.getName()
            + "'; expected outputs " + declared);
      }
      names.add(o.getName());
    }
    return names;
  }

  private static ModelInferResponse response(ModelInferRequest request, Entry e, List<String> names,
      Map<String, Tensor> outputs, boolean typed) {
    ModelInferResponse.Builder b = ModelInferResponse.newBuilder().setModelName(e.name())
        .setModelVersion(String.valueOf(e.version())).setId(request.getId());
    for (String name : names) {
      Tensor t = outputs.get(name);
      if (t == null) {
        throw Status.INTERNAL.withDescription("model '" + e.name() + "' answered without output '" + name + "'")
            .asRuntimeException();
      }
      if (!OipDatatypes.carried(t.dtype())) {
        t = Tensor.ofFloats(DType.FLOAT32, t.shape(), t.floats()); // 16-bit floats travel as FP32
      }
      ModelInferResponse.InferOutputTensor.Builder o = b.addOutputsBuilder().setName(name)
          .setDatatype(OipDatatypes.name(t.dtype()));
      for (long d : t.shape().longDims()) {
        o.addShape(d);
      }
      if (typed) {
        o.setContents(TensorCodec.toContents(t));
      } else {
        b.addRawOutputContents(TensorCodec.toRaw(t));
      }
    }
    return b.build();
  }

  /** The status of an actor's refusal. */
  private static StatusRuntimeException status(GpuActor.InferFailed f) {
    Status s = switch (f.reason()) {
      case UNKNOWN_MODEL -> Status.NOT_FOUND;
      case INVALID_INPUT -> Status.INVALID_ARGUMENT;
      case TOO_LATE -> Status.DEADLINE_EXCEEDED;
      case DRAINING, UNLOADED -> Status.UNAVAILABLE;
      case OUT_OF_MEMORY -> Status.RESOURCE_EXHAUSTED;
      case CANCELLED -> Status.CANCELLED;
      case DEVICE_FAILED -> Status.INTERNAL;
      // Reasons added to the engine later (device health) read as "try another replica".
      default -> Status.UNAVAILABLE;
    };
    return s.withDescription(f.reason() + ": " + f.message()).asRuntimeException();
  }

  private static StatusRuntimeException noAnswer(String model, Duration budget, Throwable failure) {
    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
    if (cause instanceof TimeoutException) {
      return Statuses.unavailable("model '" + model + "': no answer from the GPU within the budget of "
          + budget.toMillis() + " ms and the grace after it");
    }
    return Statuses.of(cause);
  }

  /** Runs {@code body}, turning a thrown failure into a failed stage with its gRPC status. */
  private static <T> CompletionStage<T> attempt(Supplier<CompletionStage<T>> body) {
    CompletionStage<T> stage;
    try {
      stage = body.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(Statuses.of(e));
    }
    return stage.handle((value, failure) -> {
      if (failure != null) {
        throw Statuses.of(failure);
      }
      return value;
    });
  }
}

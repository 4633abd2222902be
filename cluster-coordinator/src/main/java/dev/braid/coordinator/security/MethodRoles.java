package dev.braid.coordinator.security;

import dev.braid.protocol.admin.BraidAdminGrpc;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import java.util.Map;
import java.util.Set;

/**
 * Which roles may call which gRPC method of the front door (any one of them suffices). Pure.
 *
 * <ul>
 *   <li>none (open): ServerLive, ServerReady, so that load balancers and probes need no token;
 *   <li>infer: ModelInfer, ModelStreamInfer, ModelReady, ModelMetadata, ModelConfig, ModelStatistics, ServerMetadata;
 *   <li>infer or repository: RepositoryIndex (listing what could be loaded);
 *   <li>repository: RepositoryModelLoad, RepositoryModelUnload;
 *   <li>admin: every method of Braid's admin service, and any method not listed here.
 * </ul>
 */
public final class MethodRoles {
  private static final Map<String, Set<Role>> ROLES = Map.ofEntries(
      Map.entry(GRPCInferenceServiceGrpc.getServerLiveMethod().getFullMethodName(), Set.of()),
      Map.entry(GRPCInferenceServiceGrpc.getServerReadyMethod().getFullMethodName(), Set.of()),
      Map.entry(GRPCInferenceServiceGrpc.getModelReadyMethod().getFullMethodName(), Set.of(Role.INFER)),
      Map.entry(GRPCInferenceServiceGrpc.getServerMetadataMethod().getFullMethodName(), Set.of(Role.INFER)),
      Map.entry(GRPCInferenceServiceGrpc.getModelMetadataMethod().getFullMethodName(), Set.of(Role.INFER)),
      Map.entry(GRPCInferenceServiceGrpc.getModelConfigMethod().getFullMethodName(), Set.of(Role.INFER)),
      Map.entry(GRPCInferenceServiceGrpc.getModelStatisticsMethod().getFullMethodName(), Set.of(Role.INFER)),
      Map.entry(GRPCInferenceServiceGrpc.getModelInferMethod().getFullMethodName(), Set.of(Role.INFER)),
      Map.entry(GRPCInferenceServiceGrpc.getModelStreamInferMethod().getFullMethodName(), Set.of(Role.INFER)),
      Map.entry(GRPCInferenceServiceGrpc.getRepositoryIndexMethod().getFullMethodName(),
          Set.of(Role.INFER, Role.REPOSITORY)),
      Map.entry(GRPCInferenceServiceGrpc.getRepositoryModelLoadMethod().getFullMethodName(), Set.of(Role.REPOSITORY)),
      Map.entry(GRPCInferenceServiceGrpc.getRepositoryModelUnloadMethod().getFullMethodName(),
          Set.of(Role.REPOSITORY)),
      Map.entry(BraidAdminGrpc.getClusterStatusMethod().getFullMethodName(), Set.of(Role.ADMIN)),
      Map.entry(BraidAdminGrpc.getSetPolicyMethod().getFullMethodName(), Set.of(Role.ADMIN)),
      Map.entry(BraidAdminGrpc.getDrainNodeMethod().getFullMethodName(), Set.of(Role.ADMIN)));

  private MethodRoles() {}

  /** The roles of which a caller of {@code fullMethodName} needs one; empty: open to all. */
  public static Set<Role> required(String fullMethodName) {
    return ROLES.getOrDefault(fullMethodName, Set.of(Role.ADMIN));
  }

  /** Whether {@code fullMethodName} has roles of its own here (not the admin-only default). */
  static boolean classified(String fullMethodName) {
    return ROLES.containsKey(fullMethodName);
  }

  /** Whether the method carries a ModelInferRequest whose tenant the token decides. */
  static boolean carriesTenant(String fullMethodName) {
    return fullMethodName.equals(GRPCInferenceServiceGrpc.getModelInferMethod().getFullMethodName())
        || fullMethodName.equals(GRPCInferenceServiceGrpc.getModelStreamInferMethod().getFullMethodName());
  }
}

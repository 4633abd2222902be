# Braid's image: build with Maven, run on a JRE. CUDA comes from the host's driver through the
# NVIDIA container runtime (Braid needs only libcuda.so.1; its kernels are PTX the driver
# compiles), so the run stage carries no CUDA toolkit; without a GPU, `--device cpu` or `auto`.
#
#   docker build -t braid:0.1.0 .
#   docker run --rm -p 8001:8001 -p 8000:8000 -p 8002:8002 braid:0.1.0 serve
#   docker run --rm --gpus all -v /srv/models:/models braid:0.1.0 serve --repo /models --device cuda:0
#
# Not built here (no Docker daemon on the machine it was written on); deploy/docker/assemble.sh,
# which the build stage runs, was run and its tree started (see the README).

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# The poms first, so that a change to the sources reuses the dependency layer.
COPY pom.xml ./
COPY config/pom.xml config/
COPY protocol/pom.xml protocol/
COPY model/pom.xml model/
COPY native/pom.xml native/
COPY gpu-actor/pom.xml gpu-actor/
COPY cluster-coordinator/pom.xml cluster-coordinator/
COPY bench/pom.xml bench/
RUN mvn -B -q dependency:go-offline -DexcludeGroupIds=dev.braid || true
COPY . .
RUN mvn -B -q -DskipTests package && sh deploy/docker/assemble.sh /src /opt/braid

FROM eclipse-temurin:17-jre
COPY --from=build /opt/braid /opt/braid
RUN mkdir -p /var/lib/braid /models && useradd --system --uid 10001 braid && chown braid /var/lib/braid
USER 10001
ENV PATH="/opt/braid/bin:${PATH}"
# gRPC (Open Inference Protocol), HTTP health, Prometheus metrics, Artery (cluster), Pekko Management.
EXPOSE 8001 8000 8002 25520 7626
ENTRYPOINT ["/opt/braid/bin/braid"]
CMD ["serve"]

# syntax=docker/dockerfile:1
# The agent image for users who build with Docker (BuildKit), from the repository root:
#   docker build -f images/agent.Dockerfile -t multinic-agent .
# Same layout as `pnpm images` (images/scripts/build-image.sh): the agent, ip, /bin/sh + cp/chmod/mv for the
# install-cni init container, the reference CNI plugins in /usr/lib/cni and the multinic CNI executables.
FROM docker.io/library/node:24-bookworm AS build
WORKDIR /src
RUN corepack enable
COPY . .
RUN pnpm install --frozen-lockfile \
 && pnpm exec turbo run build sea --filter=@multinic/node-agent --filter=@multinic/cni-ipvlan --filter=@multinic/cni-ipam \
 && /src/dist/bin/multinic-agent --version

FROM docker.io/library/debian:bookworm-slim
ARG VERSION=0.1.0
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 containernetworking-plugins \
 && rm -rf /var/lib/apt/lists/*
LABEL org.opencontainers.image.title=multinic-agent \
      org.opencontainers.image.description="multinic node agent and the multinic CNI executables installed by its install-cni init container" \
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.source=https://github.com/multinic/multinic \
      org.opencontainers.image.licenses=Apache-2.0
COPY --from=build /src/dist/bin/multinic-agent /usr/local/bin/multinic-agent
COPY --from=build /src/dist/cni/multi-nic /src/dist/cni/multi-nic-ipam /opt/multinic/cni/
USER 0:0
ENTRYPOINT ["/usr/local/bin/multinic-agent"]

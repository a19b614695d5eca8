# syntax=docker/dockerfile:1
# The controller image for users who build with Docker (BuildKit), from the repository root:
#   docker build -f images/controller.Dockerfile -t multinic-controller .
# Same layout as `pnpm images` (images/scripts/build-image.sh), on distroless instead of a hand-made root filesystem.
FROM docker.io/library/node:24-bookworm AS build
WORKDIR /src
RUN corepack enable
COPY . .
RUN pnpm install --frozen-lockfile && pnpm exec turbo run build sea --filter=@multinic/controller \
 && /src/dist/bin/multinic-controller --version

# glibc, libgcc and libstdc++: what the Node single executable links.
FROM gcr.io/distroless/cc-debian12:nonroot
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title=multinic-controller \
      org.opencontainers.image.description="multinic controller: turns MultiNicNetworks into CIDR plans, IPPools and NetworkAttachmentDefinitions" \
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.source=https://github.com/multinic/multinic \
      org.opencontainers.image.licenses=Apache-2.0
COPY --from=build /src/dist/bin/multinic-controller /usr/local/bin/multinic-controller
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/multinic-controller"]

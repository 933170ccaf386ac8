# The fleetlb image: one Node 20 image runs every component (fleetlb hub, member-agent, speaker);
# the Deployment/DaemonSet args pick which. It is not built on fleetlb's development machines,
# which have no container engine; build it wherever you have one (docs/install.md):
#   docker build -t ghcr.io/fleetlb/fleetlb:0.1.0 .
FROM node:20-bookworm-slim AS build
# node-gyp builds the AF_PACKET addon (speaker/native) against this Node's own headers.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm install --ignore-scripts
COPY . .
RUN npm run install && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY --from=build /src/bin bin
COPY --from=build /src/speaker/native/build/Release/fleetlb_packet.node speaker/native/build/Release/
# `fleetlb install` and `lab deploy` read the manifests from the package.
COPY --from=build /src/crds crds
COPY --from=build /src/deploy deploy
# The manifests run it as 65532 with a read-only root; the speaker adds NET_RAW only.
USER 65532:65532
ENTRYPOINT ["node", "/app/bin/fleetlb.js"]

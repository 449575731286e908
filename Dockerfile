# module-controller image: the executable on Debian bookworm with the two C libraries it links
# (libmosquitto, libcurl). Build with `docker build -t module-controller:latest .` from the
# repository root; deploy/ and charts/ run it as user 65534 with a read-only root filesystem.

FROM swift:6.2-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmosquitto-dev libcurl4-openssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Package.swift declares the test targets too, so their folders must be present to load it.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product module-controller --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/module-controller" /module-controller

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmosquitto1 libcurl4 libstdc++6 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /module-controller /usr/local/bin/module-controller
USER 65534:65534
# HTTP tunnel, probes, metrics.
EXPOSE 7777 8081 9090
ENTRYPOINT ["/usr/local/bin/module-controller"]

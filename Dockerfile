# Multi-stage build of the `cooperage` binary. No Docker engine runs on the development
# machines, so this file is kept simple and is not exercised by CI.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin cooperage

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/cooperage --create-home cooperage
COPY --from=build /src/target/release/cooperage /usr/local/bin/cooperage
COPY config/default.toml /etc/cooperage/default.toml
USER cooperage
WORKDIR /var/lib/cooperage
ENV COOPERAGE__HTTP__BIND=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["cooperage"]
CMD ["serve"]

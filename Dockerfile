# ragd in a container: a static binary on Alpine, running as a non-root user.
# The image embeds with a remote model (see docker-compose.yml), so it holds
# no GloVe file; it carries the seed articles to ingest at start.

# Build stage: a static binary, no cgo.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# GOEXPERIMENT=simd: AVX2 kernels for the dense scan where the CPU has them.
RUN CGO_ENABLED=0 GOOS=linux GOEXPERIMENT=simd go build -trimpath -ldflags="-s -w" -o /out/ragd ./cmd/ragd

# Runtime stage: Alpine for a shell and wget (the health check), a non-root
# user owning the data directory.
FROM alpine:3.22
RUN addgroup -S -g 10001 ragd && adduser -S -D -H -u 10001 -G ragd ragd \
	&& mkdir -p /data && chown ragd:ragd /data
COPY --from=build /out/ragd /usr/local/bin/ragd
COPY testdata/articles /srv/articles
USER ragd:ragd
ENV RAGD_DATA=/data RAGD_ADDR=0.0.0.0:8080
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
	CMD wget -q -O /dev/null http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["ragd"]
CMD ["serve"]

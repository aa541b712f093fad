# Tocsin in a container: the static binary on a distroless base, run as a
# non-root user, with the SQLite data in a volume.
#
#   docker build -t tocsin --build-arg VERSION=v1.2.3 .
#   docker run -p 8080:8080 -v tocsin-data:/var/lib/tocsin tocsin
#
# With a config: mount it and name it in TOCSIN_CONFIG, e.g.
#   -v ./tocsin.yaml:/etc/tocsin/tocsin.yaml:ro -e TOCSIN_CONFIG=/etc/tocsin/tocsin.yaml
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/tocsin ./cmd/tocsin \
	&& mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tocsin /usr/local/bin/tocsin
COPY --from=build --chown=65532:65532 /out/data /var/lib/tocsin
USER 65532:65532
VOLUME /var/lib/tocsin
EXPOSE 8080
ENV TOCSIN_LISTEN=0.0.0.0:8080 TOCSIN_DATABASE=/var/lib/tocsin/tocsin.db
ENTRYPOINT ["/usr/local/bin/tocsin"]
CMD ["serve"]

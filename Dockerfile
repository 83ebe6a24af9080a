# The container image: dormant built without cgo (the Go scanner; see the
# README's Install section for the DuckDB build), on a static base that has
# CA certificates for the AWS APIs and nothing else.
#   docker build --build-arg VERSION=v1.2.3 -t dormant .
#   docker run --rm -u "$(id -u):$(id -g)" -v "$PWD:/work" dormant demo --out /work/dormant-demo
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The version the binary reports; without it, the VCS revision from the
# build info stands (the .git folder is copied for that).
ARG VERSION=
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w ${VERSION:+-X main.version=$VERSION}" -o /out/dormant ./cmd/dormant

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/dormant /usr/local/bin/dormant
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/dormant"]

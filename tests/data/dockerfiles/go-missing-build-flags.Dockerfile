FROM golang:1.22.5-bookworm AS build
WORKDIR /src
COPY . .
RUN go build -o /out/api ./cmd/api

FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /out/api /api
ENTRYPOINT ["/api"]

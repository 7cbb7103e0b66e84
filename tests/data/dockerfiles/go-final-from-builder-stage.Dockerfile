FROM golang:1.22.5-alpine AS base
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download

FROM base AS build
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=1.0.0" -o /out/sessions .

FROM build AS final
EXPOSE 7000
ENTRYPOINT ["/out/sessions"]

FROM golang:1.22.5-alpine AS build
ARG GITHUB_TOKEN
ENV GOPRIVATE=github.com/acme/*
RUN apk add --no-cache git \
 && git config --global url."https://x-access-token:${GITHUB_TOKEN}@github.com/".insteadOf "https://github.com/"
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=3.1.0" -o /out/payments ./cmd/payments

FROM gcr.io/distroless/static-debian12:nonroot
ENV DB_HOST=postgres.internal \
    DB_USER=payments \
    DB_PASSWORD=s3cr3t-Passw0rd
ENV STRIPE_API_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc
COPY --from=build /out/payments /payments
USER 65532:65532
ENTRYPOINT ["/payments"]

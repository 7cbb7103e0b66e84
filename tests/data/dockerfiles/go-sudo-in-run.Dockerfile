FROM ubuntu:22.04 AS build
RUN apt-get update && apt-get install -y --no-install-recommends sudo golang-go git
RUN useradd -m builder && echo 'builder ALL=(ALL) NOPASSWD:ALL' >> /etc/sudoers
USER builder
WORKDIR /home/builder/src
COPY --chown=builder . .
RUN sudo chown -R builder /home/builder && CGO_ENABLED=0 go build -o /home/builder/out/relay .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /home/builder/out/relay /relay
USER 65532:65532
ENTRYPOINT ["/relay"]

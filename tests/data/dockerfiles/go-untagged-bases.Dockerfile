FROM golang AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /bin/hello .

FROM busybox
COPY --from=build /bin/hello /bin/hello
USER 1000
ENTRYPOINT ["/bin/hello"]

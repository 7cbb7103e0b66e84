# A first attempt: build and run in the toolchain image.
FROM golang:1.22
WORKDIR /go/src/app
COPY . .
RUN go get -d -v ./...
RUN go build -o /go/bin/app .
EXPOSE 8080
CMD ["app"]

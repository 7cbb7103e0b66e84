FROM alpine:3.20.3
RUN apk add redis
RUN apk update && apk add --virtual .build-deps gcc musl-dev && apk del .build-deps
COPY redis.conf /etc/redis.conf
EXPOSE 6379 70000
USER redis
CMD redis-server /etc/redis.conf

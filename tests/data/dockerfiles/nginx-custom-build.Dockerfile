FROM debian:bookworm
ENV NGINX_VERSION=1.27.0
RUN apt-get update && apt-get install -y --no-install-recommends build-essential libpcre3-dev zlib1g-dev libssl-dev wget ca-certificates
RUN cd /tmp && wget https://nginx.org/download/nginx-${NGINX_VERSION}.tar.gz && tar xzf nginx-${NGINX_VERSION}.tar.gz && cd nginx-${NGINX_VERSION} && ./configure --with-http_ssl_module && make && make install
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["/usr/local/nginx/sbin/nginx", "-g", "daemon off;"]

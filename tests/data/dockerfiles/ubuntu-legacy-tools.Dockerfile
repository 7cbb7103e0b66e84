FROM ubuntu
RUN apt update && apt install -y vim curl
RUN apt-get install -y openssh-server sudo
RUN curl https://example.com/setup.sh | sudo bash
RUN echo "root:toor" | chpasswd
EXPOSE 22
CMD ["/usr/sbin/sshd", "-D"]

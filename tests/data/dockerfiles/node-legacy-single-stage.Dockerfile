FROM node:latest
MAINTAINER web-team
RUN apt-get update && apt-get install -y python3 make g++
RUN mkdir -p /usr/src/app
WORKDIR /usr/src/app
COPY package.json /usr/src/app/
ARG NPM_TOKEN
RUN echo "//npm.example.com/:_authToken=${NPM_TOKEN}" > .npmrc && npm install && rm -f .npmrc
COPY . /usr/src/app
EXPOSE 8080
CMD npm start

# syntax=docker/dockerfile:1.7
FROM python:3.12.4-slim AS deps
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt \
    pip install --prefix=/install -r /tmp/requirements.txt

FROM python:3.12.4-slim
COPY --from=deps /install /usr/local
WORKDIR /srv
COPY worker/ ./worker/
RUN <<EOF
set -e
groupadd --gid 10001 worker
useradd --uid 10001 --gid worker --no-create-home worker
python -m compileall -q /srv/worker
EOF
RUN python3 <<EOF
import pathlib
pathlib.Path("/srv/ready").write_text("apt-get install nothing | sh")
EOF
USER 10001:10001
ENTRYPOINT ["python", "-m", "worker"]

FROM python:3.11
RUN apt-get update && apt-get install -y curl build-essential
RUN curl -sSL https://tools.example.com/install-poetry.py | python3 -
ENV PATH="/root/.local/bin:$PATH"
WORKDIR /code
COPY pyproject.toml poetry.lock ./
RUN poetry config virtualenvs.create false && poetry install --no-interaction --no-ansi
COPY . /code
ENV DJANGO_SECRET_KEY=django-insecure-9x8y7z6w5v4u3t2s1r0q
CMD python manage.py runserver 0.0.0.0:8000

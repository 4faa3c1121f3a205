# RadKB: the `kb` command line and the GraphQL API, for docker-compose.yml.
#   docker build -t radkb .                            (the API extra)
#   docker build -t radkb --build-arg EXTRAS=api,extract .   (also the extractor, for raw reports)
FROM python:3.11-slim

ARG EXTRAS=api
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY kb ./kb
COPY ingest ./ingest
COPY api ./api
COPY cypher ./cypher
RUN pip install ".[${EXTRAS}]" && useradd --create-home --uid 10001 radkb

USER radkb
EXPOSE 8000
ENTRYPOINT ["kb"]
CMD ["serve", "--store", "bolt://neo4j:7687", "--host", "0.0.0.0", "--port", "8000"]

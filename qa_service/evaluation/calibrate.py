"""Fitting the answerability model (qa_service/retrieve/answerability.py) on gold questions:
out_of_scope against the rest, a class-weighted logistic regression over the retriever's
features, and the threshold that keeps a given share of in-scope questions.

    qa-service eval calibrate --gold eval/gold.jsonl [--check ../shared/eval/dev.jsonl]

It prints the weights, bias and threshold to paste into answerability.py, and how they do
on the check set (which must not be the set they were fitted on).
"""
from __future__ import annotations

from dataclasses import asdict

import numpy as np

from ..retrieve.answerability import WEIGHTS
from ..retrieve.retriever import Retriever
from .gold import GoldQuestion

FEATURES = list(WEIGHTS)


def feature_rows(retriever: Retriever, questions: list[GoldQuestion]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, is_out_of_scope, forced_zero) — forced_zero marks questions the hard rules refuse."""
    X, y, forced = [], [], []
    for q in questions:
        res = retriever.search(q.question, top_k=5)
        dense = retriever.dense_scores(res.plan)
        words = retriever.index.tokenizer.words(res.plan.normalized)
        f = asdict(retriever.features(res.plan, dense, res.hits, words)) if res.hits else None
        X.append([float(f[k]) for k in FEATURES] if f else [0.0] * len(FEATURES))
        y.append(q.type == "out_of_scope")
        forced.append(res.confidence == 0.0)
    return np.array(X), np.array(y, dtype=float), np.array(forced)


def fit(X: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 20000, lr: float = 0.5) -> tuple[dict, float]:
    """Weights on the raw features (log-odds of out-of-scope) and the bias."""
    mu, sd = X.mean(0), X.std(0) + 1e-9
    Z = np.c_[(X - mu) / sd, np.ones(len(X))]
    w = np.zeros(Z.shape[1])
    cw = np.where(y == 1, (1 - y.mean()) / max(y.mean(), 1e-9), 1.0)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-Z @ w))
        w -= lr * (Z.T @ ((p - y) * cw) / len(y) + l2 * np.r_[w[:-1], 0])
    raw = w[:-1] / sd
    bias = w[-1] - float((w[:-1] * mu / sd).sum())
    return {k: round(float(v), 3) for k, v in zip(FEATURES, raw)}, round(float(bias), 3)


def answerability_of(X: np.ndarray, weights: dict, bias: float) -> np.ndarray:
    z = bias + X @ np.array([weights[k] for k in FEATURES])
    return 1 - 1 / (1 + np.exp(-z))


def threshold_keeping(a: np.ndarray, y: np.ndarray, keep: float) -> float:
    ins = np.sort(a[y == 0])
    return round(float(ins[int((1 - keep) * len(ins))]), 3) if len(ins) else 0.5


def report(a: np.ndarray, y: np.ndarray, forced: np.ndarray, threshold: float) -> dict:
    found = (a >= threshold) & ~forced
    return {
        "in_scope_kept": round(float(found[y == 0].mean()), 3) if (y == 0).any() else None,
        "out_of_scope_refused": round(float((~found)[y == 1].mean()), 3) if (y == 1).any() else None,
    }

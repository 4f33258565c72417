"""The one path every AI feature takes: the model when one is configured and answers usably, else the offline
method, and always a result that says which method produced it and, on a fallback, why."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rm_core.ai.calls import CallStats, ModelFailure
from rm_core.ai.providers import ProviderUnavailable, build_chat_model, configured_provider

log = logging.getLogger(__name__)
V = TypeVar("V")

FROM_SETTINGS: Any = object()  # "use the model RM_CHAT_MODEL names" (tests pass a fake model instead)


@dataclass
class Assisted(Generic[V]):
    """A feature's result: `value`, the `method` that produced it (an offline method name or provider:model),
    and `message`: why the offline method answered, or what the checks removed (empty when nothing to say)."""

    value: V
    method: str
    message: str = ""
    used_model: bool = False
    latency_ms: float = 0.0
    input_tokens: int | None = None
    output_tokens: int | None = None
    usage_id: int | None = None


def model_label(model: Any) -> str:
    """provider:model for a model object (the configured provider's label, else the class and its model name)."""
    chosen = configured_provider()
    if chosen is not None:
        return chosen.method
    name = getattr(model, "model_name", None) or getattr(model, "model", None) or "model"
    return f"{type(model).__name__}:{name}"


def resolve_model(model: Any = FROM_SETTINGS) -> tuple[Any | None, str]:
    """(model or None, message): None with a message when the configured provider cannot be built."""
    if model is not FROM_SETTINGS:
        return model, ""
    try:
        return build_chat_model(), ""
    except ProviderUnavailable as exc:
        return None, str(exc)


def run_assist(offline: Callable[[], V], offline_method: str,
               with_model: Callable[[Any], tuple[V, str, CallStats]] | None, model: Any = FROM_SETTINGS) -> Assisted[V]:
    """`with_model(model)` -> (value, note, stats) when a model is there; any ModelFailure (or a provider that
    cannot be built) gives the offline value with the reason. Nothing reaches the network when no model is
    configured."""
    chat, problem = resolve_model(model)
    if chat is not None and with_model is not None:
        label = model_label(chat)
        try:
            value, note, stats = with_model(chat)
            return Assisted(value, label, note, True, stats.latency_ms, stats.input_tokens, stats.output_tokens)
        except ModelFailure as exc:
            problem = f"{label}: {exc}"
            log.warning("AI assist fell back to %s: %s", offline_method, problem)
    started = time.perf_counter()
    value = offline()
    latency = round((time.perf_counter() - started) * 1000, 1)
    message = f"The AI model gave no usable answer ({problem}); this is the offline method's result." if problem else ""
    return Assisted(value, offline_method, message, False, latency)


def log_result(actor: Any, feature: str, result: Assisted) -> Assisted:
    """Record `result` in the AI usage log (its id goes on the result, for the outcome later)."""
    from rm_core.ai.usage import log_assist

    provider, _, model = result.method.partition(":") if result.used_model else ("offline", "", "")
    result.usage_id = log_assist(actor, feature, result.method, provider=provider, model=model,
                                 latency_ms=result.latency_ms, input_tokens=result.input_tokens,
                                 output_tokens=result.output_tokens, fallback=result.message)
    return result

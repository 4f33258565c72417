"""Which chat model answers: `RM_CHAT_MODEL` read into a LangChain chat model, or none (the offline methods).

Nothing here opens a connection: building a model object is local, the first call is the first network use, and
with `RM_CHAT_MODEL=none` no model object exists at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rm_core.settings import Settings, get_settings

# provider in RM_CHAT_MODEL -> (LangChain provider name for init_chat_model, the package that brings it)
PROVIDER_PACKAGES = {
    "openai": ("openai", "langchain-openai"),
    "ollama": ("ollama", "langchain-ollama"),
    "bedrock": ("bedrock_converse", "langchain-aws"),
}


class ProviderUnavailable(Exception):
    """The configured provider cannot be built here (its package is missing, its settings are incomplete)."""


@dataclass(frozen=True)
class ChatProvider:
    provider: str   # openai | ollama | bedrock
    model: str

    @property
    def method(self) -> str:
        """How a page labels the text this model wrote."""
        return f"{self.provider}:{self.model}"


def configured_provider(settings: Settings | None = None) -> ChatProvider | None:
    """The provider `RM_CHAT_MODEL` names, or None for `none`."""
    settings = settings or get_settings()
    spec = settings.chat_model
    if spec.lower() == "none":
        return None
    provider, model = spec.split(":", 1)
    return ChatProvider(provider.lower(), model)


def build_chat_model(settings: Settings | None = None) -> Any | None:
    """The LangChain chat model for the settings (None when none is configured); timeouts and retries from
    `RM_CHAT_TIMEOUT_S` / `RM_CHAT_RETRIES`. Raises ProviderUnavailable with a sentence when it cannot be built."""
    settings = settings or get_settings()
    chosen = configured_provider(settings)
    if chosen is None:
        return None
    lc_provider, package = PROVIDER_PACKAGES[chosen.provider]
    kwargs: dict[str, Any] = {}
    if chosen.provider == "openai":
        kwargs = {"timeout": settings.chat_timeout_s, "max_retries": settings.chat_retries,
                  "base_url": settings.chat_base_url, "api_key": settings.chat_api_key or "not-needed",
                  "temperature": 0, "stream_usage": True}
    elif chosen.provider == "ollama":
        kwargs = {"base_url": settings.chat_base_url, "client_kwargs": {"timeout": settings.chat_timeout_s},
                  "temperature": 0}
    elif chosen.provider == "bedrock":  # region and credentials come from the AWS environment
        from botocore.config import Config  # noqa: PLC0415 (only with langchain-aws installed)

        kwargs = {"config": Config(connect_timeout=settings.chat_timeout_s, read_timeout=settings.chat_timeout_s,
                                   retries={"total_max_attempts": settings.chat_retries + 1, "mode": "standard"}), "temperature": 0,
                  "endpoint_url": settings.chat_base_url}  # a VPC endpoint, when set
    try:
        from langchain.chat_models import init_chat_model

        return init_chat_model(chosen.model, model_provider=lc_provider,
                               **{k: v for k, v in kwargs.items() if v is not None})
    except ImportError as exc:
        raise ProviderUnavailable(f"RM_CHAT_MODEL={settings.chat_model} needs the {package} package, which is not "
                                  f"installed here ({exc}).") from None
    except Exception as exc:  # a provider refusing its settings (a missing region, a bad URL)
        raise ProviderUnavailable(f"RM_CHAT_MODEL={settings.chat_model} could not be set up: "
                                  f"{type(exc).__name__}: {str(exc)[:200]}") from None

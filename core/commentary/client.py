"""The LLM port and its Anthropic adapter (``anthropic.AsyncAnthropic``).

The SDK does the HTTP retries itself (``max_retries``; 408, 409, 429 and 5xx including 529
overloaded, waiting ``retry-after`` when sent), so every error that reaches us has already been
retried: they are mapped to NON-transient typed errors, and the ``SourceGuard`` around the call only
counts them for the breaker instead of retrying again.

=================================  =========================================  ================
SDK error (after its retries)      typed error                                 counts for breaker
=================================  =========================================  ================
``AuthenticationError`` 401, 403   ``core.errors.AuthenticationError``         no
``APITimeoutError``                ``LlmTimeoutError``                         yes
``APIConnectionError``             ``LlmApiError`` ("could not be reached")    yes
``APIStatusError`` (400, 429, 5xx)  ``LlmApiError`` with ``status``            yes
=================================  =========================================  ================

The API key is passed explicitly (the SDK then reads no credential from the environment) and never
appears in a message, a log line or an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import anthropic
from pydantic import SecretStr

from core.commentary.prices import TokenUsage
from core.commentary.prompts import PromptRequest
from core.config.schema import LlmConfig
from core.errors import AuthenticationError, DataFetchError

SOURCE = "llm"


class LlmApiError(DataFetchError):
    """Claude answered with an error (``status`` is the HTTP status, None when unreachable)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message, source=SOURCE, transient=False, context={"status": status})
        self.status = status


class LlmTimeoutError(DataFetchError):
    """Claude did not answer within the request timeout."""

    def __init__(self, message: str) -> None:
        super().__init__(message, source=SOURCE, transient=False)


@dataclass(frozen=True)
class LlmReply:
    """Claude's answer: the text blocks joined, the tokens, and why it stopped."""

    text: str
    usage: TokenUsage
    model: str
    stop_reason: str | None = None
    request_id: str | None = None


class LlmPort(Protocol):
    """Anything that can answer a prompt request (the Anthropic adapter, or a fake in tests)."""

    async def complete(self, request: PromptRequest) -> LlmReply: ...


def token_usage(usage: anthropic.types.Usage) -> TokenUsage:
    """The SDK's usage block as ``TokenUsage``; cache writes split by TTL when the API says."""
    written = usage.cache_creation_input_tokens or 0
    one_hour = 0
    if usage.cache_creation is not None:
        one_hour = usage.cache_creation.ephemeral_1h_input_tokens or 0
    return TokenUsage(
        input=usage.input_tokens,
        output=usage.output_tokens,
        cache_write_5m=max(written - one_hour, 0),
        cache_write_1h=one_hour,
        cache_read=usage.cache_read_input_tokens or 0,
    )


def map_error(exc: anthropic.AnthropicError, timeout: float) -> Exception:
    """The typed error for an SDK error (see the module table)."""
    if isinstance(exc, (anthropic.AuthenticationError, anthropic.PermissionDeniedError)):
        return AuthenticationError(
            f"Claude refused the API key (HTTP {exc.status_code}); check ANTHROPIC_API_KEY.", source=SOURCE
        )
    if isinstance(exc, anthropic.APITimeoutError):
        return LlmTimeoutError(f"Claude did not answer within {timeout:g} s.")
    if isinstance(exc, anthropic.APIConnectionError):
        return LlmApiError("Claude could not be reached (connection failed).")
    if isinstance(exc, anthropic.APIStatusError):
        kind = f" {exc.type}" if exc.type else ""
        return LlmApiError(f"Claude answered HTTP {exc.status_code}{kind}.", status=exc.status_code)
    return LlmApiError(f"Claude call failed: {type(exc).__name__}.")


class AnthropicLlm:
    """``LlmPort`` over the real SDK; ``base_url`` points it at Anthropic or at a local fake."""

    def __init__(self, api_key: SecretStr, base_url: str, config: LlmConfig) -> None:
        self._timeout = config.timeout_seconds
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key.get_secret_value(),
            base_url=base_url,
            timeout=config.timeout_seconds,
            max_retries=config.max_retries,
        )

    async def complete(self, request: PromptRequest) -> LlmReply:
        kwargs = request.api_kwargs()
        try:
            message = await self._client.messages.create(
                model=kwargs["model"],
                max_tokens=kwargs["max_tokens"],
                system=kwargs["system"],
                messages=kwargs["messages"],
            )
        except anthropic.AnthropicError as exc:
            raise map_error(exc, self._timeout) from None
        text = "".join(block.text for block in message.content if block.type == "text")
        return LlmReply(
            text=text,
            usage=token_usage(message.usage),
            model=str(message.model),
            stop_reason=None if message.stop_reason is None else str(message.stop_reason),
            request_id=message._request_id,
        )

    async def aclose(self) -> None:
        await self._client.close()

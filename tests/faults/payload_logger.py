"""A LiteLLM callback for the fault tests: appends LiteLLM's whole standard logging payload to a JSONL file.

Copied next to the proxy's config.yaml and listed as ``payload_logger.capture``; the file is
``$LRE_CAPTURE_FILE``. Unlike ``tests/integration/capture_logger.py`` it keeps everything a logging
integration (Langfuse, S3, spend logs) would receive, failures included, so a test can grep it for prompt text.
"""

from __future__ import annotations

import json
import os
from typing import Any

from litellm.integrations.custom_logger import CustomLogger


def _write(event: str, kwargs: dict[str, Any]) -> None:
    payload = kwargs.get("standard_logging_object") or {}
    metadata = payload.get("metadata") or {}
    record = {
        "event": event,
        "call_id": kwargs.get("litellm_call_id"),
        "model_group": payload.get("model_group"),
        "spend_logs_metadata": metadata.get("spend_logs_metadata"),
        "payload": payload,
    }
    with open(os.environ["LRE_CAPTURE_FILE"], "a", encoding="utf-8") as f:
        f.write(json.dumps(record, default=str) + "\n")


class PayloadLogger(CustomLogger):  # type: ignore[misc]
    async def async_log_success_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        _write("success", kwargs)

    async def async_log_failure_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        _write("failure", kwargs)


capture = PayloadLogger()

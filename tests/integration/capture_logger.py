"""A LiteLLM callback for integration tests: appends what the logging payload carries to a JSONL file.

Copied next to the proxy's config.yaml and listed in ``litellm_settings.callbacks`` as
``capture_logger.capture``; the file is ``$LRE_CAPTURE_FILE``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from litellm.integrations.custom_logger import CustomLogger


class CaptureLogger(CustomLogger):  # type: ignore[misc]
    async def async_log_success_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        payload = kwargs.get("standard_logging_object") or {}
        metadata = payload.get("metadata") or {}
        record = {
            "call_id": kwargs.get("litellm_call_id"),
            "model_group": payload.get("model_group"),
            "model": payload.get("model"),
            "response_cost": payload.get("response_cost"),
            "stream": payload.get("stream"),
            "spend_logs_metadata": metadata.get("spend_logs_metadata"),
            "user_api_key_hash": metadata.get("user_api_key_hash"),  # what spend tracking charges the call to
        }
        with open(os.environ["LRE_CAPTURE_FILE"], "a", encoding="utf-8") as f:
            f.write(json.dumps(record, default=str) + "\n")


capture = CaptureLogger()

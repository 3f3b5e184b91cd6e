"""Log output: the plain format, or one JSON object a line (LOG_FORMAT=json) for log collectors.

Either way a line holds the time, level, logger and message only. The messages already carry no
addresses or personal data; an exception adds its type and where it was raised (file, line,
function), never its message, which can quote a row's values (database errors do).
"""

import json
import logging
import traceback
from datetime import UTC, datetime
from typing import Literal

LogFormat = Literal["text", "json"]
PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            line["exc_type"] = record.exc_info[0].__name__
            line["exc_where"] = [
                f"{frame.filename}:{frame.lineno} {frame.name}"
                for frame in traceback.extract_tb(record.exc_info[2])
            ]
        return json.dumps(line, ensure_ascii=False)


def formatter_config(log_format: LogFormat) -> dict[str, object]:
    """The `formatters` entry of a logging dictConfig, as `plain`."""
    if log_format == "json":
        return {"plain": {"()": f"{__name__}.JsonFormatter"}}
    return {"plain": {"format": PLAIN}}


def use_format(log_format: LogFormat) -> None:
    """Switch the root logger's handlers (set up by `logging.basicConfig`) to this format."""
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(PLAIN)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)

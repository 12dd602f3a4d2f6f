"""Progress lines for `rlt`: what each step is doing, without Dagster's event stream or tracebacks.

Failures are not printed here: the CLI prints one clear message for them at the end.
"""

import logging
import sys

import dagster as dg

_PREFIX_PARTS = 3  # "<job> - <run id> - <step or pid> - ..." precede the message itself


class _ProgressFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        parts = record.getMessage().split(" - ", _PREFIX_PARTS - 1)
        text = parts[-1] if len(parts) == _PREFIX_PARTS else record.getMessage()
        return f"  {text.splitlines()[0] if text else ''}"


class _InfoOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno == logging.INFO


@dg.logger(description="Step progress on stderr, one line per message; no debug events or tracebacks.")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.Logger("rlt.progress", level=logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ProgressFormatter())
    handler.addFilter(_InfoOnly())
    log.addHandler(handler)
    return log

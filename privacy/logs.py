"""Every log record of the process goes through the masker.

A record factory rather than a handler filter: Rasa and Sanic configure their
own handlers after start-up, and a factory sees every record however it is
handled later. Only records a logger actually emits are built, so debug
logging that is off costs nothing.
"""

from __future__ import annotations

import logging

from privacy.mask import MaskingFilter

_FILTER = MaskingFilter()


def _masking_factory(original):
    def factory(*args, **kwargs) -> logging.LogRecord:
        record = original(*args, **kwargs)
        _FILTER.filter(record)
        return record

    factory._masking = True
    return factory


def active() -> bool:
    return getattr(logging.getLogRecordFactory(), "_masking", False)


def install() -> None:
    if not active():
        logging.setLogRecordFactory(_masking_factory(logging.getLogRecordFactory()))

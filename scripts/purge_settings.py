"""Where the tracker store to purge is: the endpoints file Rasa reads, or a URL.

Settings: the tracker_store section of the endpoints file (default
endpoints.yml: rasa.db in the current directory), read the way Rasa reads it,
${VARS} in plain YAML scalars expanded from the environment (only that section
needs them); or a SQLAlchemy URL with --db-url. ``PurgeError`` is the one-line
error scripts.purge exits with (code 2) when the settings are wrong or the
database is unreachable. Apart from the database work (scripts/purge_db.py)
because reading Rasa's settings is an idea of its own; the command line is
scripts/purge.py, which re-exports ``endpoints_url`` and ``PurgeError``.
"""

from __future__ import annotations

import os
import pathlib
import re
from urllib.parse import urlsplit

import sqlalchemy as sa
import yaml


class PurgeError(Exception):
    """Settings or database unusable: exit code 2 with this one-line message."""


# Endpoints file -----------------------------------------------------------------

# Rasa's rule (rasa.shared.utils.io.replace_environment_variables): a plain
# scalar containing ${...} is expanded with os.path.expandvars, and a variable
# left unexpanded is an error. Here only the tracker_store section is expanded,
# so the action server's token need not be set to purge.
_ENV_VAR = re.compile(r"^(.*)\$\{(.*)\}(.*)$")


class _EnvScalar(str):
    """A plain YAML scalar with ${VARS}, expanded only where it is used."""


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_implicit_resolver("!env_var", _ENV_VAR, None)
_Loader.add_constructor("!env_var", lambda loader, node: _EnvScalar(loader.construct_scalar(node)))


def _expand(value, unset: list[str]):
    """The value with its ${VARS} expanded; names of unset variables go to `unset`."""
    if isinstance(value, dict):
        return {key: _expand(item, unset) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand(item, unset) for item in value]
    if isinstance(value, _EnvScalar):
        expanded = os.path.expandvars(value)
        unset += [w.strip("${}") for w in expanded.split() if w.startswith("$") and w in value]
        return str(expanded)
    return value


def endpoints_url(endpoints: str | os.PathLike) -> sa.engine.URL:
    """The SQLAlchemy URL of the tracker store the endpoints file configures,
    built as SQLTrackerStore.get_db_url builds it (`url` is the host)."""
    try:
        text = pathlib.Path(endpoints).read_text(encoding="utf-8")
    except OSError as error:
        raise PurgeError(f"cannot read {endpoints}: {error.strerror}") from None
    try:
        content = yaml.load(text, Loader=_Loader) or {}
    except yaml.YAMLError as error:
        first = str(error).strip().splitlines()[0]
        raise PurgeError(f"{endpoints} is not valid YAML: {first}") from None
    store = content.get("tracker_store") if isinstance(content, dict) else None
    if not isinstance(store, dict):
        raise PurgeError(
            f"{endpoints} has no tracker_store section: Rasa keeps conversations in "
            "memory only, there is nothing to purge"
        )
    kind = str(store.get("type") or "")
    if kind.lower() != "sql" and not kind.rsplit(".", 1)[-1].endswith("SQLTrackerStore"):
        raise PurgeError(
            f"{endpoints}: tracker_store type {kind or '(none)'!r} is not an SQL tracker "
            "store; scripts.purge handles SQLTrackerStore (table events) only"
        )
    unset: list[str] = []
    store = _expand(store, unset)
    if unset:
        names = ", ".join(dict.fromkeys(unset))
        raise PurgeError(f"{endpoints} tracker_store: environment variable not set: {names}")
    host, port = store.get("url"), store.get("port")
    if host and "://" in str(host):
        return _parse_url(str(host))
    if host:  # the port may be part of `url`, as Rasa accepts it
        parsed = urlsplit(f"scheme://{host}")
        port, host = parsed.port or port, parsed.hostname or host
    try:
        port = int(port) if port not in (None, "") else None
    except ValueError:
        raise PurgeError(f"{endpoints} tracker_store: port {port!r} is not a number") from None

    def text_or_none(key: str, default: str | None = None) -> str | None:
        value = store.get(key, default)
        return None if value is None else str(value)

    # The events live in `db`: with `login_db`, Rasa only logs in there to create `db`.
    return sa.engine.URL.create(
        text_or_none("dialect", "sqlite"),
        username=text_or_none("username"),
        password=text_or_none("password"),
        host=None if host is None else str(host),
        port=port,
        database=text_or_none("db", "rasa.db"),
        query=dict(store.get("query") or {}),
    )


def _parse_url(text: str) -> sa.engine.URL:
    try:
        return sa.engine.make_url(text)
    except sa.exc.ArgumentError:
        raise PurgeError(f"not a database URL: {text!r}") from None

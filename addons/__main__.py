"""The project's `rasa` command: the Rasa CLI with the add-ons switched on.

    python -m addons run --model models/vssid.tar.gz …   (any rasa sub-command)

Also silences the known-harmless deprecation warnings of Rasa's own
dependencies, which would otherwise bury the lines a newcomer needs.
"""

from __future__ import annotations

import os
import sys
import warnings


def quiet_library_warnings() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("ignore", message=".*MovedIn20Warning.*")


def main() -> None:
    quiet_library_warnings()
    import addons

    addons.install_all()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()

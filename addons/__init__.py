"""Server-side hardening of Rasa 3.6 that its configuration cannot express.

`endpoints.yml` names a tracker store from `addons.tracker_store`, so every
Rasa process (run, shell, test) imports this package at start-up and gets:
- no silent in-memory fallback when the tracker database is down (see
  tracker_store.py);
- custom actions bounded by a short timeout with a polite apology instead of
  silence when the action server is down or slow (see action_guard.py).
"""

from addons import action_guard

action_guard.install()

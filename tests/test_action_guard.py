"""The action guard keeps Rasa's validation of the action server's reply."""

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

import addons  # noqa: F401  (installs the guard)


def test_reply_validation_is_installed_and_still_strict():
    action = RemoteAction("action_show_menu", None)
    assert action._validate_action_result({"events": [], "responses": [{"text": "Chào"}]})
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate"):
        action._validate_action_result({"events": "not a list", "responses": []})
    with pytest.raises(jsonschema.ValidationError):
        action._validate_action_result({"events": [{"no_event_key": 1}], "responses": []})

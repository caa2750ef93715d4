"""Preferences end to end: changed in conversation, read back, kept in the case memory."""

from __future__ import annotations

from launcher.conversation import say


def test_change_and_read_back_preferences(stack, stack_desk):
    url, sender = stack.config.rasa_url, "e2e-prefs"
    replies = say(url, sender, "set my spending limit to 50 euros")
    assert any("spending limit is now 50.00 EUR" in r for r in replies), replies
    replies = say(url, sender, "set quiet hours from 11pm to 6am")
    assert any("23:00 to 06:00" in r for r in replies), replies

    replies = say(url, sender, "what are my preferences")
    text = " ".join(replies)
    assert "up to 50.00 EUR" in text and "23:00 to 06:00" in text, replies
    assert "+15550100" in text

    replies = say(url, sender, "set my spending limit to 50 dollars")
    assert any("nothing was changed" in r for r in replies), replies
    replies = say(url, sender, "what's my spending limit")
    assert "up to 50.00 EUR" in " ".join(replies)

"""A base for actions whose name is a class attribute, so families of actions stay short."""

from __future__ import annotations

from abc import ABC, abstractmethod

from rasa_sdk import Action


class NamedAction(Action, ABC):
    """An action named by its `action_name` class attribute.

    The base stays abstract, so the Rasa SDK registers only the concrete subclasses.
    """

    @property
    @abstractmethod
    def action_name(self) -> str:
        """The action's name in the domain."""

    def name(self) -> str:
        return self.action_name

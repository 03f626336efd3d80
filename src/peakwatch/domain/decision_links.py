"""Id links of one run: which decision each order, intent and fill belongs to."""

from __future__ import annotations

from peakwatch.domain.decision_trace import Decision


class OrderLinks:
    """Order ids, intent ids and first fills seen in a run, with the decision each links to."""

    __slots__ = ("orders", "intents", "intent_orders", "filled")

    def __init__(self) -> None:
        self.orders: dict[str, tuple[Decision, str]] = {}  # order id -> (decision, source)
        self.intents: dict[str, Decision] = {}  # intent id -> decision
        self.intent_orders: dict[str, Decision] = {}  # order id an intent named -> decision
        self.filled: dict[str, str] = {}  # order id -> source of its first fill

    def order(self, order_id: str, decision: Decision, source: str) -> bool:
        """Remember an order's decision; False when this source named the id before."""
        known = self.orders.get(order_id)
        if known is None:
            self.orders[order_id] = (decision, source)
            return True
        return known[1] != source

    def decision_of_order(self, order_id: str) -> Decision | None:
        """The decision of an order, or of the intent that named it."""
        known = self.orders.get(order_id)
        return known[0] if known is not None else self.intent_orders.get(order_id)

    def intent(self, intent_id: str | None, order_id: str | None, decision: Decision) -> None:
        """Remember an intent's decision, under its id and the order id it names."""
        if intent_id is not None:
            self.intents.setdefault(intent_id, decision)
        if order_id is not None:
            self.intent_orders.setdefault(order_id, decision)

    def first_fill_from(self, order_id: str, source: str) -> str:
        """The source of the order's first fill, this one when it is the first."""
        return self.filled.setdefault(order_id, source)

    def moved(self, order_ids: set[str], to: Decision) -> None:
        """Orders whose trace items moved to another decision follow them."""
        for order_id in order_ids:
            known = self.orders.get(order_id)
            if known is not None:
                self.orders[order_id] = (to, known[1])

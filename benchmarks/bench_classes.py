"""Stateful classes the import-python benchmark converts (written for the benchmark)."""

from __future__ import annotations

import random


class Desk:
    """A ticket desk: records by id, a counter, a seeded generator for codes."""

    def __init__(self):
        self.tickets = {f"T{i}": {"status": "open", "notes": []} for i in range(50)}
        self.updates = 0
        self._random = random.Random(1)

    def get_ticket(self, ticket_id: str) -> dict:
        """One ticket."""
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return {"error": f"no ticket {ticket_id}"}
        return {"ticket_id": ticket_id, "status": ticket["status"]}

    def add_note(self, ticket_id: str, note: str) -> dict:
        """Add a note to a ticket."""
        ticket = self.tickets[ticket_id]
        ticket["notes"].append(note)
        if len(ticket["notes"]) > 3:
            del ticket["notes"][0]
        self.updates += 1
        return {"notes": len(ticket["notes"]), "updates": self.updates}

    def draw_code(self) -> int:
        """A random code (a draw of the generator kept in the instance)."""
        return self._random.randint(1000, 9999)


class Node:
    """A folder: a parent back-reference and children (an object graph)."""

    def __init__(self, name: str, parent: Node | None = None):
        self.name = name
        self.parent = parent
        self.children: dict[str, Node] = {}


class Tree:
    """Folders with a current folder, like BFCL's file system."""

    def __init__(self):
        self.root = Node("/")
        for i in range(20):
            self.root.children[f"d{i}"] = Node(f"d{i}", self.root)
        self._cwd = self.root

    def cd(self, name: str) -> dict:
        """Enter a folder ('..': the parent)."""
        if name == "..":
            self._cwd = self._cwd.parent or self._cwd
        else:
            target = self._cwd.children.get(name)
            if target is None:
                return {"error": f"no folder {name}"}
            self._cwd = target
        return {"cwd": self._cwd.name}

    def ls(self) -> dict:
        """The current folder's children."""
        return {"children": sorted(self._cwd.children)}

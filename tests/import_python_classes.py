"""Small stateful classes written for the import-python tests (hand-written test input,
not LLM output): each exercises constructs the converter must handle or refuse."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import os
import random
import threading
import time
from copy import deepcopy

DEFAULT_STOCK = {"apple": 3, "pear": 0}
LOW_STOCK = 1


class Inventory:
    """A shop's inventory: items, orders keyed by int id, a seeded id generator."""

    MAX_ORDER = 5

    def __init__(self):
        self.stock: dict[str, int] = deepcopy(DEFAULT_STOCK)
        self.orders: dict[int, dict] = {}
        self.tags = set()
        self.next_id = 1
        self._rng = random.Random(7)

    def _load(self, config: dict) -> None:
        self.stock = config.get("stock", deepcopy(DEFAULT_STOCK))
        self._rng = random.Random(config.get("seed", 7))

    def _check_item(self, item: str) -> str | None:
        if item not in self.stock:
            return f"no item {item}"
        return None

    def add_item(self, item: str, count: int = 1) -> dict[str, int]:
        """Add units of an item to the stock.

        Args:
            item (str): The item's name.
            count (int): How many units. Defaults to 1.
        """
        self.stock[item] = self.stock.get(item, 0) + count
        self.tags.add(item[:1])
        return {item: self.stock[item]}

    def order(self, item: str, count: int = 1) -> dict:
        """Order units of an item; the order gets a random code."""
        problem = self._check_item(item)
        if problem:
            return {"error": problem}
        if count > Inventory.MAX_ORDER or count > self.MAX_ORDER:
            raise ValueError(f"at most {self.MAX_ORDER} per order")
        if self.stock[item] < count:
            return {"error": "not enough stock"}
        self.stock[item] -= count
        order_id = self.next_id
        self.next_id += 1
        self.orders[order_id] = {
            "item": item,
            "count": count,
            "code": self._rng.randint(1000, 9999),
        }
        return {"order_id": order_id, "low": self.stock[item] <= LOW_STOCK}

    def cancel(self, order_id: int) -> dict:
        """Cancel an order by its id."""
        if order_id not in self.orders:
            return {"error": f"no order {order_id}"}
        order = self.orders.pop(order_id)
        self.stock[order["item"]] += order["count"]
        return {"cancelled": order_id}

    def order_ids(self) -> list[int]:
        """The ids of all orders."""
        return sorted(self.orders.keys())

    def stamp(self) -> str:
        """Today's date."""
        return datetime.date.today().isoformat()


class Refusals:
    """Constructs the converter must refuse, each in its own method."""

    def __init__(self):
        self.count = 0
        self.handle = threading.Lock()

    def fine(self, n: int) -> int:
        """Add n."""
        self.count += n
        return self.count

    def uses_super(self) -> str:
        return super().__repr__()

    def uses_self(self) -> object:
        return self

    def uses_os(self) -> str:
        return os.getcwd()

    def uses_handle(self) -> bool:
        return self.handle.locked()

    def calls_bad(self) -> str:
        return self.uses_os()

    def star(self, *names: str) -> int:
        return len(names)

    def computed_spec(self, x: float, digits: int) -> str:
        return f"{x:.{digits}g}"  # converts, but the sandbox refuses a computed spec


class Node:
    """A folder of `Folders`: its parent is a back-reference (a cycle)."""

    def __init__(self, name: str, parent: Node | None = None):
        self.name = name
        self.parent = parent
        self.children: dict[str, Node] = {}
        self._created = datetime.datetime.now()  # private and never read: not kept

    def _child(self, name: str) -> Node | None:
        return self.children.get(name)


class Folders:
    """Folders with a current folder, as an object graph (like BFCL's file system)."""

    def __init__(self):
        self.root = Node("/")
        self._cwd = self.root

    def mkdir(self, name: str) -> dict:
        """Make a folder in the current folder."""
        if self._cwd._child(name) is not None:
            return {"error": f"{name} exists"}
        self._cwd.children[name] = Node(name, self._cwd)
        return {"created": name}

    def cd(self, name: str) -> dict:
        """Enter a folder ('..' for the parent)."""
        if name == "..":
            if self._cwd.parent is None:
                return {"error": "at the root"}
            self._cwd = self._cwd.parent
            return {"cwd": self._cwd.name}
        target = self._cwd._child(name)
        if not isinstance(target, Node):
            return {"error": f"no folder {name}"}
        self._cwd = target
        return {"cwd": target.name}

    def rename(self, old: str, new: str) -> dict:
        """Rename a folder of the current folder."""
        node = self._cwd.children.pop(old, None)
        if node is None:
            return {"error": f"no folder {old}"}
        node.name = new
        self._cwd.children[new] = node
        return {"renamed": new}

    def pwd(self) -> str:
        """The current folder's path."""
        parts, node = [], self._cwd
        while node.parent is not None:
            parts.append(node.name)
            node = node.parent
        return "/" + "/".join(reversed(parts))


class OutOfStockError(ValueError):
    """A module's own exception class (converted to its nearest built-in base)."""


class Shop:
    """Class-level defaults, static/class methods, a property, a custom exception, a clock."""

    TAX = 0.2
    sold = 0

    def __init__(self):
        self.stock = {"pen": 2}

    @staticmethod
    def _with_tax(price: float) -> float:
        return round(price * (1 + Shop.TAX), 2)

    @classmethod
    def _label(cls, item: str) -> str:
        return f"{item}@{cls.TAX}"

    @property
    def _total_stock(self) -> int:
        return sum(self.stock.values())

    def sell(self, item: str, price: float) -> dict:
        """Sell one unit of an item."""
        try:
            if self.stock.get(item, 0) < 1:
                raise OutOfStockError(f"no {item} left")
        except OutOfStockError as exc:
            return {"error": str(exc)}
        self.stock[item] -= 1
        self.sold += 1
        return {
            "charged": self._with_tax(price),
            "label": Shop._label(item),
            "left": self._total_stock,
            "sold": self.sold,
        }

    def opened_at(self) -> int:
        """Seconds since the epoch (a clock read)."""
        return int(time.time()) // 86400 * 0


class Status(enum.Enum):
    """An enum: its members become their values."""

    OPEN = "open"
    DONE = "done"


@dataclasses.dataclass
class Task:
    """A dataclass helper: its constructor comes from its fields."""

    title: str
    status: Status = Status.OPEN
    tags: list = dataclasses.field(default_factory=list)


class Board:
    """Tasks as dataclass objects, an enum status, a name-mangled attribute."""

    def __init__(self):
        self.tasks: dict[str, Task] = {"t1": Task("write", tags=["doc"])}
        self.__secret = 3

    def add(self, key: str, title: str) -> dict:
        """Add a task."""
        if key in self.tasks:
            return {"error": "exists"}
        self.tasks[key] = Task(title)
        self.__secret += 1
        return dataclasses.asdict(self.tasks[key])

    def finish(self, key: str, status: str = "done") -> dict:
        """Set a task's status (open or done)."""
        task = self.tasks[key]
        task.status = Status(status)
        return {
            "status": task.status.value,
            "done": task.status == Status.DONE,
            "known": [s.value for s in Status],
            "secret": self.__secret,
        }

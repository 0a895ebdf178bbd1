"""moto_server whose TransactWriteItems copies each table once per transaction instead of once per write.

moto 5 keeps a copy of the table to roll a cancelled transaction back, but takes it in a loop over the writes,
before any of them is applied: a transaction of 100 writes copies the whole table 100 times, and each copy but the
last is thrown away. The copies are all equal, so taking one per table and transaction is the same rollback; a full
batch of 1,000 WAL events (10 transactions of 100) then takes seconds instead of minutes. Everything else is
moto as it is. The module global `copy` is swapped only while a transaction runs; the benchmark sends moto one
request at a time (test/support/one-request-at-a-time.ts), so no other request sees the swap.

Usage: python3 moto-one-copy-per-transaction.py -H 127.0.0.1 -p PORT (the arguments of moto_server).
"""

import copy
import sys

import moto.dynamodb.models as models
from moto.dynamodb.models.table import Table
from moto.server import main


class _OneCopyPerTable:
    """`copy` as the transaction sees it: a table is deep-copied on the first request only."""

    def __init__(self) -> None:
        self._tables: dict[int, Table] = {}

    def deepcopy(self, value, memo=None):
        if isinstance(value, Table):
            if id(value) not in self._tables:
                self._tables[id(value)] = copy.deepcopy(value)
            return self._tables[id(value)]
        return copy.deepcopy(value, memo)

    def __getattr__(self, name):
        return getattr(copy, name)


_transact_write_items = models.DynamoDBBackend.transact_write_items


def transact_write_items(self, transact_items):
    models.copy = _OneCopyPerTable()
    try:
        return _transact_write_items(self, transact_items)
    finally:
        models.copy = copy


models.DynamoDBBackend.transact_write_items = transact_write_items

if __name__ == "__main__":
    main(sys.argv[1:])

"""The one way dispatch's files (units, beds) are read: a header of exactly the named columns, then each
non-blank line's cells in that order, with its line number.

A wrong header is the wrong file and stops the import (`DataError`); a line with the wrong number of fields
or unreadable CSV is a bad line, added to the caller's `errors` so the other lines are still checked.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence

from kernel.dataerrors import DataError, RowError
from kernel.messages import Message


def exact_rows(
    text: str, source: str, columns: Sequence[str], errors: list[RowError]
) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    try:
        found = [c.strip() for c in next(reader, [])]
    except csv.Error as exc:
        raise DataError(
            [RowError(source, 1, None, Message("not readable CSV: {error}", error=str(exc)))]
        ) from exc
    if sorted(found) != sorted(columns):
        raise DataError(
            [
                RowError(
                    source,
                    1,
                    None,
                    Message(
                        "columns must be exactly {columns} (found {found})",
                        columns=",".join(columns),
                        found=",".join(found),
                    ),
                )
            ]
        )
    where = [found.index(c) for c in columns]
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(
                RowError(source, reader.line_num, None, Message("not readable CSV: {error}", error=str(exc)))
            )
            return
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(found):
            errors.append(
                RowError(
                    source,
                    reader.line_num,
                    None,
                    Message("{count} fields, expected {expected}", count=len(row), expected=len(found)),
                )
            )
            continue
        yield reader.line_num, [row[i].strip() for i in where]

"""`siaga db upgrade|current|revision`: the database's schema version (Alembic, `kernel/migrations/`).

Thin: the work is `kernel.db`'s. Here only what an operator needs around it: a database made before
migrations existed is recognised and stamped first, so an upgrade keeps its rows.
"""

from __future__ import annotations

import argparse

from alembic import command
from sqlalchemy import Engine, create_engine, inspect, pool

from kernel.cli_common import add_common_options, settings_from_args
from kernel.db import (
    Base,
    alembic_config,
    connect,
    current_revision,
    head_revision,
    recognise,
    stamp,
    upgrade,
)
from kernel.messages import N_, Message
from siaga.language import tr
from siaga.models import TABLE_MODULES  # noqa: F401  (every table on Base, for `revision`)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    engine = connect(settings.db_url)
    where = engine.url.render_as_string(hide_password=True)
    if current_revision(engine) is None and _has_tables(engine):
        found = recognise(engine)
        stamp(engine, found)
        print(
            tr(
                Message(
                    "{where}: made before migrations, its schema is revision {found}: stamped",
                    where=where,
                    found=found,
                )
            )
        )
    before, after = upgrade(engine, args.to)
    empty = tr(N_("an empty database"))
    if before == after:
        print(tr(Message("{where}: at revision {after}, nothing to do", where=where, after=after)))
    else:
        print(
            tr(
                Message(
                    "{where}: upgraded from {before} to {after}",
                    where=where,
                    before=before or empty,
                    after=after,
                )
            )
        )
    return 0


def cmd_db_current(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    engine = connect(settings.db_url)
    current, head = current_revision(engine), head_revision()
    if current == head:
        print(tr(Message("{current} (head)", current=current)))
        return 0
    if current is not None:
        print(
            tr(Message("{current} (behind head {head}: run `siaga db upgrade`)", current=current, head=head))
        )
    elif _has_tables(engine):
        print(
            tr(
                Message(
                    "none (made before migrations: `siaga db upgrade` recognises it; head is {head})",
                    head=head,
                )
            )
        )
    else:
        print(
            tr(
                Message(
                    "none (empty database; head is {head}: any siaga command or `siaga db upgrade` makes it)",
                    head=head,
                )
            )
        )
    return 1


def cmd_db_revision(args: argparse.Namespace) -> int:
    """For developers: a new migration with what the table modules have and the head's schema lacks."""
    head = head_revision()
    rev_id = args.rev_id or (f"{int(head) + 1:04d}" if head.isdigit() else None)
    scratch = create_engine("sqlite://", poolclass=pool.StaticPool)
    upgrade(scratch)
    with scratch.begin() as conn:
        config = alembic_config(conn)
        config.attributes["target_metadata"] = Base.metadata
        script = command.revision(config, message=args.message, autogenerate=True, rev_id=rev_id)
    scripts = script if isinstance(script, list) else [script]
    for made in scripts:
        if made is not None:
            print(
                tr(
                    Message(
                        "new migration {path}: read it, fix what autogenerate cannot know (renames, data)",
                        path=made.path,
                    )
                )
            )
    return 0


def _has_tables(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(set(inspect(conn).get_table_names()) - {"alembic_version"})


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "db",
        help="the database's schema version: upgrade, current",
        description="The schema is versioned by Alembic migrations (kernel/migrations). Any siaga command "
        "gives an empty database the newest schema; a database behind it is refused until `siaga db "
        "upgrade` has run (back it up first). Works on SQLite and PostgreSQL (--db postgresql+psycopg://…).",
    )
    actions = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = actions.add_parser(
        "upgrade",
        help="run the migrations the database lacks",
        description="Bring the database to the newest schema (or --to REVISION), keeping its rows. A "
        "database made by a siaga without migrations is recognised by its tables and stamped first.",
    )
    add_common_options(up)
    up.add_argument("--to", default="head", metavar="REVISION", help="stop at this revision (default head)")
    up.set_defaults(func=cmd_db_upgrade)
    cur = actions.add_parser(
        "current",
        help="print the database's schema revision (exit 1 unless it is the newest)",
        description="Print the database's revision and whether it is the head; exit 0 only at the head.",
    )
    add_common_options(cur)
    cur.set_defaults(func=cmd_db_current)
    rev = actions.add_parser(
        "revision",
        help="(developers) write a new migration for what the table modules added",
        description="Compare every table module with the head's schema and write kernel/migrations/"
        "versions/<id>_<message>.py with the difference; review it before committing.",
    )
    add_common_options(rev, data=False)
    rev.add_argument("message", help="what the migration does, e.g. 'incident priority column'")
    rev.add_argument("--rev-id", help="the revision id (default: the next number, e.g. 0003)")
    rev.set_defaults(func=cmd_db_revision)

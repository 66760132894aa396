"""How rosters read on a supervisor's terminal and in JSON: pure formatting, times in each facility's zone."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kernel.messages import N_, Message, plain_number, untranslated
from shifts.coverage import Gap
from shifts.roster import Duty, Leave, Swap
from shifts.templates import ShiftTemplate, zone_label


def local(value: datetime, zone_name: str) -> datetime:
    return value.astimezone(ZoneInfo(zone_name))


def clock(value: datetime, zone_name: str) -> str:
    return f"{local(value, zone_name):%Y-%m-%d %H:%M} {zone_label(zone_name)}"


def hhmm(value: datetime, zone_name: str) -> str:
    return f"{local(value, zone_name):%H:%M}"


def span(start: datetime, end: datetime, zone_name: str) -> str:
    """`2026-11-23 21:00 – 2026-11-24 07:00 WIB`, or `2026-11-24 07:00–14:00 WIB` within one day."""
    first, last = local(start, zone_name), local(end, zone_name)
    if first.date() == last.date():
        return f"{first:%Y-%m-%d %H:%M}–{last:%H:%M} {zone_label(zone_name)}"
    return f"{first:%Y-%m-%d %H:%M} – {last:%Y-%m-%d %H:%M} {zone_label(zone_name)}"


def iso_local(value: datetime, zone_name: str) -> str:
    return local(value, zone_name).isoformat(timespec="minutes")


def duty_json(duty: Duty) -> dict[str, object]:
    """One on-duty person; the first seven keys are the interface `roster on-duty --json` promises."""
    found: dict[str, object] = {
        "facility": duty.facility_code,
        "staff_id": duty.staff_id,
        "role": duty.role,
        "endpoint": duty.endpoint,
        "shift": duty.shift,
        "start": iso_local(duty.start, duty.timezone),
        "end": iso_local(duty.end, duty.timezone),
        "staff_name": duty.staff_name,
        "phone": duty.phone,
        "timezone": duty.timezone,
    }
    if duty.covering_for:
        found["covering_for"] = duty.covering_for
    return found


def on_duty_lines(
    duties: Sequence[Duty], at: datetime, translate: Callable[[str], str] = untranslated
) -> list[str]:
    """`translate` (the CLI's `tr`) puts the words in the reader's language; codes and names stay."""
    if not duties:
        return [translate(Message("no one on duty at {at}", at=at.isoformat(timespec="minutes")))]
    width = max(len(d.facility_code) for d in duties)
    lines = []
    for d in duties:
        swap = translate(Message(", for {staff}", staff=d.covering_for)) if d.covering_for else ""
        lines.append(
            f"{d.facility_code:<{width}}  {d.staff_name} ({d.role}, {d.endpoint}{swap})  {d.shift} "
            f"{span(d.start, d.end, d.timezone)}"
        )
    return lines


def gap_json(gap: Gap) -> dict[str, object]:
    return {
        "scope": gap.scope,
        "code": gap.code,
        "service": gap.service,
        "start": iso_local(gap.start, gap.timezone),
        "end": iso_local(gap.end, gap.timezone),
        "hours": round(gap.length.total_seconds() / 3600, 2),
        "facilities": list(gap.facilities),
    }


def gap_lines(
    gaps: Sequence[Gap],
    translate: Callable[[str], str] = untranslated,
    number: Callable[[float, int], str] = plain_number,
) -> list[str]:
    """`number` (`web.i18n.format_number`) writes the hours the reader's way: 7,0 in Indonesian."""
    lines = []
    for gap in gaps:
        hours = gap.length.total_seconds() / 3600
        where = (
            translate(Message("kecamatan {code}", code=gap.code))
            if gap.scope == "kecamatan"
            else translate(Message("facility  {code}", code=gap.code))
        )
        lines.append(
            translate(
                Message(
                    "{where}: no {service} staff {span} ({hours} h)",
                    where=where,
                    service=gap.service,
                    span=span(gap.start, gap.end, gap.timezone),
                    hours=number(hours, 1),
                )
            )
            + (f"  [{', '.join(gap.facilities)}]" if gap.scope == "kecamatan" else "")
        )
    return lines


def week_table(
    title: str,
    zone_name: str,
    days: Sequence[date],
    duties: Iterable[Duty],
    shifts: Mapping[str, ShiftTemplate],
    leaves: Sequence[Leave] = (),
    swaps: Sequence[Swap] = (),
    translate: Callable[[str], str] = untranslated,
    day_label: Callable[[date], str] | None = None,
) -> str:
    """A week as a grid: one row a day, one column a shift, names in the cells; other shifts after.

    `translate` and `day_label` (the CLI's, in the reader's language) word the labels and the days."""
    t = translate
    columns = sorted(shifts.values(), key=lambda t: t.start)
    cells: dict[tuple[date, str], list[str]] = defaultdict(list)
    other: dict[date, list[str]] = defaultdict(list)
    for d in sorted(duties, key=lambda d: (d.start, d.staff_id)):
        day = d.shift_date or local(d.start, zone_name).date()
        if day not in days:
            continue
        template = shifts.get(d.shift)
        label = f"{d.staff_name} ({d.role})"
        if d.covering_for:
            label += t(Message(" for {staff}", staff=d.covering_for))
        planned = template.window(day, ZoneInfo(zone_name)) if template else None
        if planned is None or planned != (d.start, d.end):
            label += f" {hhmm(d.start, zone_name)}–{hhmm(d.end, zone_name)}"
        if template is None:
            other[day].append(f"{d.shift}: {label}")
        else:
            cells[(day, d.shift)].append(label)
    headers = [t(N_("day")), *(c.label() for c in columns)] + ([t(N_("other"))] if other else [])
    rows = []
    for day in days:
        row = [day_label(day) if day_label else f"{day:%a %d %b}"]
        row += [", ".join(cells[(day, c.name)]) or "—" for c in columns]
        if other:
            row.append("; ".join(other[day]))
        rows.append(row)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = [title, ""]
    lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    for leave in leaves:
        lines.append(
            t(
                Message(
                    "leave: {staff} {start} – {end}",
                    staff=leave.staff_id,
                    start=clock(leave.start, zone_name),
                    end=clock(leave.end, zone_name),
                )
            )
            + (f" ({leave.reason})" if leave.reason else "")
        )
    for swap in swaps:
        lines.append(
            t(
                Message(
                    "swap:  {replacement} works {staff}'s shifts {start} – {end}",
                    replacement=swap.replacement.name,
                    staff=swap.staff_id,
                    start=clock(swap.start, zone_name),
                    end=clock(swap.end, zone_name),
                )
            )
            + (f" ({swap.reason})" if swap.reason else "")
        )
    return "\n".join(lines)


def iso_week_days(spec: str) -> list[date]:
    """`2026-W48` → its seven dates, Monday first."""
    try:
        year, week = spec.upper().split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError as exc:
        raise ValueError(Message("--week {week!r} is not an ISO week like 2026-W48", week=spec)) from exc
    return [monday + timedelta(days=n) for n in range(7)]

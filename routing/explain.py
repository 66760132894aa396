"""A routing decision as a table a supervisor can read, in the reader's language.

Pure: the caller passes the translation (`translate`, e.g. the CLI's `tr`); the labels are marked for the
catalogs and every reason that is a `kernel.messages.Message` is translated by its msgid. Names, codes,
endpoints and numbers are shown as they are.
"""

from __future__ import annotations

from collections.abc import Callable

from kernel.messages import N_, Message, untranslated
from routing.plan import RoutePlan


def _km(distance_m: float | None) -> str:
    return "" if distance_m is None else f"{distance_m / 1000:.2f} km"


def format_plan(plan: RoutePlan, translate: Callable[[str], str] = untranslated) -> str:
    t = translate
    unknown = t(N_("(unknown)"))  # marked outside the Message below: Babel skips a nested marker
    lines = [
        t(
            Message(
                "call {call}  caller {caller}  service {service}  at {at}",
                call=plan.call_id,
                caller=plan.caller or unknown,
                service=plan.service,
                at=plan.at.isoformat(),
            )
        )
    ]
    if plan.location is None:
        lines.append(t(N_("location: none")))
    else:
        loc = plan.location
        acc = f" ±{loc.accuracy_m:.0f} m" if loc.accuracy_m else ""
        label = f" ({loc.label})" if loc.label else ""
        lines.append(
            t(
                Message(
                    "location: {lat}, {lon}{accuracy} from {source}{label}",
                    lat=format(loc.lat, ".5f"),
                    lon=format(loc.lon, ".5f"),
                    accuracy=acc,
                    source=loc.source,
                    label=label,
                )
            )
        )
    area = " < ".join(f"{a.name} [{a.code}]" for a in plan.area) or t(N_("(none)"))
    lines.append(t(Message("area:     {area}", area=area)))
    lines.append("")
    facility, endpoint, ring, distance, why = (
        t(N_("facility")),
        t(N_("endpoint")),
        t(N_("ring")),
        t(N_("distance")),
        t(N_("why")),
    )
    lines.append(f"{'#':>2}  {facility:<26} {endpoint:<24} {ring:>5} {distance:>9}  {why}")
    for n, target in enumerate(plan.targets, start=1):
        lines.append(
            f"{n:>2}  {target.facility:<26} {target.endpoint:<24} {target.timeout_s:>4}s "
            f"{_km(target.distance_m):>9}  {t(target.why)}"
        )
    if plan.skipped:
        lines.append("")
        lines.append(t(N_("skipped:")))
        for s in plan.skipped:
            lines.append(f"    {s.facility:<26} {_km(s.distance_m):>9}  {t(s.reason)}")
    for note in plan.notes:
        lines.append(t(Message("note: {note}", note=note)))
    return "\n".join(lines)

"""A routing decision as a table a supervisor can read."""

from __future__ import annotations

from routing.plan import RoutePlan


def _km(distance_m: float | None) -> str:
    return "" if distance_m is None else f"{distance_m / 1000:.2f} km"


def format_plan(plan: RoutePlan) -> str:
    lines = [
        f"call {plan.call_id}  caller {plan.caller or '(unknown)'}  service {plan.service}  "
        f"at {plan.at.isoformat()}"
    ]
    if plan.location is None:
        lines.append("location: none")
    else:
        loc = plan.location
        acc = f" ±{loc.accuracy_m:.0f} m" if loc.accuracy_m else ""
        label = f" ({loc.label})" if loc.label else ""
        lines.append(f"location: {loc.lat:.5f}, {loc.lon:.5f}{acc} from {loc.source}{label}")
    lines.append("area:     " + (" < ".join(f"{a.name} [{a.code}]" for a in plan.area) or "(none)"))
    lines.append("")
    lines.append(f"{'#':>2}  {'facility':<26} {'endpoint':<24} {'ring':>5} {'distance':>9}  why")
    for n, t in enumerate(plan.targets, start=1):
        lines.append(
            f"{n:>2}  {t.facility:<26} {t.endpoint:<24} {t.timeout_s:>4}s {_km(t.distance_m):>9}  {t.why}"
        )
    if plan.skipped:
        lines.append("")
        lines.append("skipped:")
        for s in plan.skipped:
            lines.append(f"    {s.facility:<26} {_km(s.distance_m):>9}  {s.reason}")
    for note in plan.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)

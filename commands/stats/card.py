"""/stats [today|yesterday|YYYY-MM-DD|week|month|FROM..TO] [queue] [@agent]: the figures card.

Team totals for everyone; per-agent rows: an agent sees their own, a coordinator every
row (or the one named). A single day carries the chart of its hours, at a signed,
expiring URL. The daily broadcast (``commands.stats.daily``) builds the same card with
no agent rows, for the team space.
"""

from __future__ import annotations

from datetime import date, timedelta

from commands.core import Command, Context, Denied, Reply, Section, Services, UsageError
from commands.format import duration, first_name
from commands.links import url as signed_url
from commands.refs import split_person
from commands.stats.figures import AgentRow, StatsReport, collect, ensure_basis
from commands.stats.metrics import Figures, clock, percent
from commands.stats.period import FORMS, Period, is_period, parse_period
from store.calls import registry
from store.db import reading
from store.team.people import Role

CHART_PURPOSE = "charts"
CHART_LINK_DAYS = 30  # chat clients fetch card images when they show them, maybe later


def chart_url(services: Services, day: date, queue: str | None) -> str:
    expires = services.clock.now() + timedelta(days=CHART_LINK_DAYS)
    return signed_url(services.settings, CHART_PURPOSE, {"d": day.isoformat(), "q": queue},
                     suffix=".png", expires=expires)


def report_for(services: Services, period: Period, queue: str | None, *,
               agents: bool = True, hourly: bool = False) -> StatsReport:
    basis = ensure_basis(services)
    with reading(services.sessions) as session:
        return collect(session, period, basis=basis, config=services.settings,
                       now=services.clock.now(), queue=queue, agents=agents, hourly=hourly)


def run(ctx: Context, services: Services) -> Reply:
    with reading(services.sessions) as session:
        person, words = split_person(session, ctx.args)
    by_category = _wants_categories(words)
    periods = [w for w in words if is_period(w)]
    queues = [w for w in words if not is_period(w)]
    if len(periods) > 1 or len(queues) > 1:
        raise UsageError(f"Give at most one period ({FORMS}) and one queue.")
    is_coordinator = ctx.role.allows(Role.COORDINATOR)
    if person is not None and person.id != ctx.person.id and not is_coordinator:
        raise Denied("Agents see the team's totals and their own figures; ask a coordinator "
                     f"for {first_name(person)}'s.")
    period = parse_period(periods[0] if periods else None, ctx.now, services.settings.timezone)
    queue = queues[0] if queues else None
    report = report_for(services, period, queue)
    if queue is not None and queue not in report.queues and not report.figures.received:
        seen = ", ".join(report.queues) or "none"
        return Reply(f"No calls in queue {queue} {period.label}. Queues with calls: {seen}.",
                     private=True)
    if person is not None:
        keep = {person.key}
    elif is_coordinator:
        keep = None
    else:
        keep = {ctx.person.key}
    rows = tuple(r for r in report.agents if keep is None or r.key in keep)
    day = period.single_day
    url = chart_url(services, day, queue) if day is not None else None
    reply = card(report, rows=rows, chart=url, private=True)
    if not by_category:
        return reply
    with reading(services.sessions) as session:
        counted = registry.counts_by_category(session, period.begin, period.end)
        labels = {c.id: c for c in registry.categories(session)}
        rows_by_category = tuple((registry.path(c, labels), str(n)) for c, n in counted)
    section = Section(title="Calls by category", rows=rows_by_category or (
        ("—", f"no call was typified {period.label}"),))
    return Reply(reply.text, (*reply.sections, section), private=reply.private)


def _wants_categories(words: list[str]) -> bool:
    """``… by category`` (also "per category", "por categoría"): taken out of ``words``."""
    lowered = [w.casefold() for w in words]
    for i in range(len(lowered) - 1):
        if lowered[i] in ("by", "per", "por") and lowered[i + 1].startswith(("categor",)):
            del words[i:i + 2]
            return True
    return False


def card(report: StatsReport, *, rows: tuple[AgentRow, ...], chart: str | None,
         private: bool) -> Reply:
    f = report.figures
    where = f" in queue {report.queue}" if report.queue else ""
    if not f.received:
        text = f"No calls{where} {report.period.label}."
    else:
        text = (f"Calls{where} {report.period.label}: {f.offered} offered, {f.answered} "
                f"answered ({percent(f.answered_rate_pct)}), {f.abandoned} abandoned.")
    sections = [Section(title="Figures", rows=figure_rows(f))]
    if report.outside_turns is not None and report.outside_turns.received:
        sections.append(Section(title="Outside the turns",
                                rows=figure_rows(report.outside_turns)[:3]))
    if rows:
        sections.append(Section(title="Agents", rows=tuple(
            (f"{r.name} ({r.extension})" if r.extension else r.name, agent_line(r))
            for r in rows)))
    if chart is not None:
        sections.append(Section(title="Calls per hour", image_url=chart))
    return Reply(text, tuple(sections), private=private)


def figure_rows(f: Figures) -> tuple[tuple[str, str], ...]:
    sl = f.service_level_seconds
    rows = [
        ("Offered", f"{f.offered} (received {f.received}; {f.closed} closed, "
                    f"{f.short_abandons} short abandons under {f.short_abandon_seconds} s "
                    "left out)"),
        ("Answered", f"{f.answered} · {percent(f.answered_rate_pct)} of offered"
                     + (f" ({f.transferred} transferred)" if f.transferred else "")),
        ("Abandoned", f"{f.abandoned} · {percent(f.abandon_rate_pct)} of offered · "
                      f"after {clock(f.mean_abandon_wait_seconds)} on average"),
        ("Timeouts · other exits · full", f"{f.timeouts} · {f.other_exits} · {f.full}"),
        (f"Service level {sl} s (of answered)", percent(f.service_level_pct)),
        (f"Service level {sl} s (of answered + abandoned)",
         percent(f.service_level_inclusive_pct)),
        ("ASA (mean wait, answered)", clock(f.asa_seconds)),
        ("Wait: mean · longest", f"{clock(f.mean_wait_seconds)} · {clock(f.max_wait_seconds)}"),
        ("AHT (talk + wrap-up)", clock(f.aht_seconds)),
    ]
    if f.waiting:
        rows.append(("Still waiting", str(f.waiting)))
    return tuple(rows)


def agent_line(row: AgentRow) -> str:
    f, spent = row.figures, row.time
    parts = [f"{f.answered} answered"]
    if f.answered:
        parts.append(f"talk {duration(f.talk_seconds)}")
        parts.append(f"AHT {clock(f.aht_seconds)}")
    if spent.pauses:
        detail = ", ".join(f"{reason} {duration(seconds)}"
                           for reason, (_, seconds) in sorted(spent.pauses.items()))
        parts.append(f"paused {duration(spent.paused)} ({detail})")
    else:
        parts.append("no pauses")
    parts.append(f"logged in {duration(spent.logged_in)}")
    return " · ".join(parts)


COMMAND = Command(
    name="stats",
    run=run,
    summary="Call figures: offered, answered, abandoned, service level, ASA, AHT, per agent",
    usage="/stats [today|yesterday|YYYY-MM-DD|week|month|FROM..TO] [queue] [@agent] "
          "[by category]",
    aliases=("how are we doing", "statistics"),
)

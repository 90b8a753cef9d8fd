"""The product's own schedules, kept in step with what members opted in to.

- **Weekly check-in**: a coaching ``check_in`` session every Monday at 09:00 Tokyo time for each
  active member with ``weekly_checkin``; the session waits for the member's reply, so its thread
  stays although the cron's runs are stateless.
- **Nightly matching refresh**: a ``matching`` run for projects every night at 03:00 Tokyo time
  for each active member with ``match_opt_in`` (their introductions are approved by their opt-in,
  so the refresh never piles approvals on people).

They are ordinary crons (listed, counted and visible to the member they are for) with a
``schedule_key`` that makes ``sync`` idempotent and safe to run from every worker at once: a
second insert of the same key does nothing. Members change them through their settings; the
cron routes refuse a member's edit of one (``cron_managed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from asoto.api.schemas import CronCreate
from asoto.persistence.models import Cron, Member
from asoto.runtime.resources import Resources
from asoto.services import crons
from asoto.services.keys import Principal

SYSTEM = Principal(id="system:schedules", role="service")
TOKYO = "Asia/Tokyo"


@dataclass(frozen=True)
class ProductSchedule:
    name: str
    assistant_id: str
    schedule: str
    opted_in: Any  # the member column that opts in

    def input_for(self, member: Member) -> dict[str, Any]:
        if self.assistant_id == "coaching":
            return {"member_id": str(member.id), "session_type": "check_in"}
        return {"member_id": str(member.id), "target": "projects"}

    def key(self, member: Member) -> str:
        return f"{self.name}:{member.id}"


SCHEDULES = (
    ProductSchedule("weekly_checkin", "coaching", "0 9 * * 1", Member.weekly_checkin),
    ProductSchedule("nightly_matching", "matching", "0 3 * * *", Member.match_opt_in),
)


async def sync(res: Resources) -> dict[str, int]:
    """Make the missing schedules and drop those of members who opted out or left."""
    made = dropped = 0
    for product in SCHEDULES:
        async with res.db.sessions.begin() as session:
            wanted = {
                product.key(m): m
                for m in (await session.scalars(select(Member).where(product.opted_in, Member.active))).all()
            }
            keys = select(Cron.schedule_key).where(Cron.schedule_key.like(f"{product.name}:%"))
            existing = {k for k in (await session.scalars(keys)).all() if k}
            stale = existing - set(wanted)
            if stale:
                await session.execute(delete(Cron).where(Cron.schedule_key.in_(stale)))
                dropped += len(stale)
        for key in sorted(set(wanted) - existing):
            member = wanted[key]
            body = CronCreate(
                assistant_id=product.assistant_id,
                schedule=product.schedule,
                timezone=TOKYO,
                input=product.input_for(member),
                metadata={"schedule": product.name},
                on_run_completed="delete",
            )
            try:
                async with res.db.sessions.begin() as session:
                    await crons.create(res, session, SYSTEM, body, schedule_key=key)
                made += 1
            except IntegrityError:  # another worker made it first
                continue
    return {"made": made, "dropped": dropped}

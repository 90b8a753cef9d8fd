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

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from asoto.api.schemas import CronRun
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

    def row(self, member: Member, key: str, tick: datetime, now: datetime) -> dict[str, Any]:
        """The cron, as ``crons.create`` would store it for the system's service key."""
        return {
            "cron_id": uuid.uuid4(),
            "assistant_id": self.assistant_id,
            "graph_id": self.assistant_id,
            "thread_id": None,
            "schedule": self.schedule,
            "timezone": TOKYO,
            "payload": crons.run_payload(
                CronRun(assistant_id=self.assistant_id, input=self.input_for(member), metadata={"schedule": self.name})
            ),
            "metadata_": {"schedule": self.name},
            "on_run_completed": "delete",
            "end_time": None,
            "enabled": True,
            "next_run_at": tick,
            "user_id": SYSTEM.id,
            "owner_role": SYSTEM.role,
            "owner_member_id": member.id,
            "schedule_key": key,
            "created_at": now,
            "updated_at": now,
        }


SCHEDULES = (
    ProductSchedule("weekly_checkin", "coaching", "0 9 * * 1", Member.weekly_checkin),
    ProductSchedule("nightly_matching", "matching", "0 3 * * *", Member.match_opt_in),
)


async def sync(res: Resources) -> dict[str, int]:
    """Make the missing schedules and drop those of members who opted out or left: per product,
    one read and at most one delete and one insert, so every worker can run it at start. The
    rows are built here, not through ``crons.create``: their runs are the engine's own, known
    good (``tests/test_crons.py`` fires them), and a dry run per member made a start slow."""
    made = dropped = 0
    now = res.clock()
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
            missing = sorted(set(wanted) - existing)
            if not missing:
                continue
            tick = crons.next_tick(product.schedule, TOKYO, now)
            rows = [product.row(wanted[key], key, tick, now) for key in missing]
            # another worker may insert the same keys at the same time: theirs stand
            inserted = await session.scalars(
                insert(Cron)
                .values(rows)
                .on_conflict_do_nothing(index_elements=[Cron.schedule_key])
                .returning(Cron.cron_id)
            )
            made += len(inserted.all())
    return {"made": made, "dropped": dropped}

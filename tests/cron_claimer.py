"""A worker that claims the due crons and is killed while it holds the claim (``test_crons``).

Run as ``python -m tests.cron_claimer <database uri> <now, ISO>``: it fires the due ticks with a
hook that says ``claimed`` and then waits forever inside the claim's transaction.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import datetime

from asoto.config import Settings
from asoto.runtime.resources import open_resources
from asoto.services import crons


async def main(uri: str, now: datetime) -> None:
    async with open_resources(Settings(database_url=uri, log_level="WARNING"), uri=uri, migrate_first=False) as res:

        async def hold(claimed: list[uuid.UUID]) -> None:
            print("claimed", *claimed, flush=True)
            await asyncio.sleep(3600)

        await crons.fire_due(res, now, on_claimed=hold)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], datetime.fromisoformat(sys.argv[2])))

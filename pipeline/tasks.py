"""The Luigi tasks under their first name, for `luigi --module pipeline.tasks` in existing crontabs.

The tasks live in ``pipeline.orchestration.tasks``; Luigi finds a task by its class name, so
either module name schedules the same tasks.
"""

from pipeline.orchestration.tasks import *  # noqa: F403

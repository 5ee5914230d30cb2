"""A small shop for a support agent: a SQLite database, a written policy, tools, generated tasks
and checks that judge a run by the database it leaves and the rules it kept.

    from course.agents.shop import generate_tasks, run_task
    tasks = generate_tasks(seed=7)
    trajectory, outcome = run_task(client, tasks, tasks.tasks[0])
"""

from course.agents.shop.checks import (
    FAILURE_KINDS,
    Outcome,
    changes,
    check,
    failure_kind,
    policy_violations,
)
from course.agents.shop.policy import ESCALATE_ABOVE_EUR, POLICY, REFUND_WINDOW_DAYS
from course.agents.shop.run import outcomes_frame, run_task, run_tasks
from course.agents.shop.store import TODAY, Shop
from course.agents.shop.tasks import KINDS, Task, TaskSet, generate_tasks
from course.agents.shop.tools import shop_tools

__all__ = [
    "ESCALATE_ABOVE_EUR",
    "FAILURE_KINDS",
    "KINDS",
    "POLICY",
    "REFUND_WINDOW_DAYS",
    "TODAY",
    "Outcome",
    "Shop",
    "Task",
    "TaskSet",
    "changes",
    "check",
    "failure_kind",
    "generate_tasks",
    "outcomes_frame",
    "policy_violations",
    "run_task",
    "run_tasks",
    "shop_tools",
]

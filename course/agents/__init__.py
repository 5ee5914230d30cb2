"""Agents: tools from typed Python functions, a loop with budgets and stop reasons, trajectories.

from course.agents import Agent, AgentBudget, tool

@tool
def order_status(order_id: str) -> dict:
    "Where an order is: status and expected delivery date."
    ...

run = Agent(Client(feature="m3-agent"), [order_status], system=POLICY).run("Where is A-1001?")
run              # a readable page of every step in a notebook
run.to_frame()   # one row per step
"""

from course.agents.loop import Agent, AgentBudget, UserTurn
from course.agents.tools import Tool, ToolBox, ToolResult, idempotency_key, tool
from course.agents.trajectory import Step, StopReason, Trajectory, trajectories_frame

__all__ = [
    "Agent",
    "AgentBudget",
    "Step",
    "StopReason",
    "Tool",
    "ToolBox",
    "ToolResult",
    "Trajectory",
    "UserTurn",
    "idempotency_key",
    "tool",
    "trajectories_frame",
]

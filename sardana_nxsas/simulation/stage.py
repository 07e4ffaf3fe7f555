"""Positions of the simulated motors, shared inside the Pool process.

The simulated motor controller moves them; the simulated detector reads them
to decide which sample is in the beam and whether the beamstop is in. Both
controllers import this module by its absolute name, so they share one STAGE.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

ROLES = ("sample_x", "sample_y", "beamstop_x")
BEAMSTOP_IN_WITHIN = 1.0  # mm: beamstop motor within this of 0 means the beamstop is in


@dataclass
class Move:
    start: float
    target: float
    started: float
    velocity: float  # mm/s

    def position(self, now: float) -> float:
        travel = self.velocity * (now - self.started)
        if travel >= abs(self.target - self.start):
            return self.target
        return self.start + travel * (1 if self.target > self.start else -1)

    def done(self, now: float) -> bool:
        return self.position(now) == self.target


@dataclass
class Stage:
    positions: dict[str, float] = field(default_factory=lambda: dict.fromkeys(ROLES, 0.0))
    moves: dict[str, Move] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, role: str, target: float, velocity: float) -> None:
        with self.lock:
            now = time.monotonic()
            self.moves[role] = Move(self.position(role, now), target, now, velocity)

    def stop(self, role: str) -> None:
        with self.lock:
            now = time.monotonic()
            self.positions[role] = self.position(role, now)
            self.moves.pop(role, None)

    def position(self, role: str, now: float | None = None) -> float:
        move = self.moves.get(role)
        if move is None:
            return self.positions.get(role, 0.0)
        now = time.monotonic() if now is None else now
        pos = move.position(now)
        if move.done(now):
            self.positions[role] = pos
            self.moves.pop(role, None)
        return pos

    def moving(self, role: str) -> bool:
        self.position(role)
        return role in self.moves

    def beamstop_in(self) -> bool:
        return abs(self.position("beamstop_x")) <= BEAMSTOP_IN_WITHIN


STAGE = Stage()

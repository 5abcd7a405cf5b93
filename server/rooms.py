"""Class mode's rooms, behind one small interface (Rooms): in this process by default (one machine), or in Redis
with --rooms-redis URL, so that several replicas of the app behind a load balancer share a room.

A room is opened by the lecturer's page, which gets its code (read aloud, typed on phones) and a secret (only the
lecturer's link carries it). Students join with the code under an anonymous id their browser keeps; each has one
answer per question (a new one replaces it) until the lecturer reveals the live model's answer. The lecturer moves
the room from stop to stop, reads the tally live, and takes the results (stop, answer, count) when the class ends;
nothing that identifies a student is kept in them. Every refusal is a RoomError (a ValueError) whose message says
what was wrong and what to do. A room not used for `idle_hours` is gone.

Redis layout (all keys expire together after idle_hours without a write):
  dle:room:<code>                hash: tour, secret (its SHA-256), stop, revealed, model (the revealed answer)
  dle:room:<code>:students       set of student ids
  dle:room:<code>:answers:<stop> hash: student id -> normalised answer
  dle:rooms                      sorted set: code -> last use (to count open rooms)
"""
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field

from core.classroom import new_code, new_secret, normalised_answer, read_code, tally

MAX_STUDENT_ID = 64                 # characters of the browser's anonymous id


class RoomError(ValueError):
    """A refused room action, in words."""


@dataclass(frozen=True)
class RoomLimits:
    max_rooms: int = 50             # rooms open at once
    max_students: int = 1000        # students per room (at least 500: a lecture hall)
    idle_hours: float = 3.0         # a room unused this long is closed


@dataclass(frozen=True)
class RoomView:
    """What any page of the room may read: where the lecturer is, and how many have joined and answered."""
    code: str
    tour: str
    stop: int
    revealed: bool
    model_answer: str               # "" until the reveal
    students: int
    answered: int                   # answers to the current stop's question


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def student_id(student) -> str:
    if not isinstance(student, str) or not 8 <= len(student) <= MAX_STUDENT_ID or not student.isascii():
        raise RoomError("This browser's id for the room is missing or malformed: reload the page to join again.")
    return student


def key_of(secret) -> str:
    """The secret a lecturer's action carries; none at all counts as a wrong one (never as 'no check')."""
    return secret if isinstance(secret, str) else ""


def moved_on(stop) -> RoomError:
    return RoomError(f"The lecturer has moved on to stop {stop}: your answer was not counted; answer its question.")


def unknown(code: str) -> RoomError:
    return RoomError(f"No open room has the code {code}: check it on the lecturer's screen (a room closes after "
                     "some idle hours).")


class MemoryRooms:
    """The rooms of one process (a dict under a lock)."""

    def __init__(self, limits: RoomLimits = RoomLimits(), clock=time.monotonic):
        self.limits, self.clock = limits, clock
        self.lock = threading.Lock()
        self.rooms: dict[str, dict] = {}

    def _expire(self) -> None:
        idle = self.limits.idle_hours * 3600
        for code in [c for c, room in self.rooms.items() if self.clock() - room["used"] > idle]:
            del self.rooms[code]

    def _room(self, code, secret: str | None = None) -> dict:
        code = read_code(code)
        self._expire()
        room = self.rooms.get(code)
        if room is None:
            raise unknown(code)
        if secret is not None and not hmac.compare_digest(room["secret"], digest(str(secret))):
            raise RoomError("Only the lecturer's page can do this (its link carries the room's key).")
        room["used"] = self.clock()
        return room

    def open(self, tour: str) -> tuple[str, str]:
        with self.lock:
            self._expire()
            if len(self.rooms) >= self.limits.max_rooms:
                raise RoomError(f"{self.limits.max_rooms} rooms are open on this server: close one, or try later.")
            code = new_code()
            while code in self.rooms:
                code = new_code()
            secret = new_secret()
            self.rooms[code] = dict(tour=tour, secret=digest(secret), stop=1, revealed=False, model="",
                                    students=set(), answers={}, used=self.clock())
            return code, secret

    def view(self, code) -> RoomView:
        with self.lock:
            room = self._room(code)
            return RoomView(read_code(code), room["tour"], room["stop"], room["revealed"], room["model"],
                            len(room["students"]), len(room["answers"].get(room["stop"], {})))

    def join(self, code, student) -> RoomView:
        student = student_id(student)
        with self.lock:
            room = self._room(code)
            if student not in room["students"] and len(room["students"]) >= self.limits.max_students:
                raise RoomError(f"This room is full ({self.limits.max_students} students).")
            room["students"].add(student)
        return self.view(code)

    def answer(self, code, student, text, stop: int | None = None) -> str:
        """The student's answer to the current stop; with `stop` (the stop the phone showed), refused if the
        lecturer has moved on since, so an answer never lands on the next question."""
        student, answer = student_id(student), normalised_answer(text)
        with self.lock:
            room = self._room(code)
            if student not in room["students"]:
                raise RoomError("Join the room first (its code is on the lecturer's screen).")
            if stop is not None and stop != room["stop"]:
                raise moved_on(room["stop"])
            if room["revealed"]:
                raise RoomError("The answer has been revealed: wait for the next question.")
            room["answers"].setdefault(room["stop"], {})[student] = answer
            return answer

    def my_answer(self, code, student) -> str | None:
        student = student_id(student)
        with self.lock:
            room = self._room(code)
            return room["answers"].get(room["stop"], {}).get(student)

    def tally(self, code, stop: int, secret: str | None = None) -> list[tuple[str, int]]:
        """The answers to a stop's question; a student's page may read it once that stop is revealed."""
        with self.lock:
            room = self._room(code, secret)
            if secret is None and not (room["revealed"] and room["stop"] == stop):
                raise RoomError("The room's answers are shown after the reveal.")
            return tally(room["answers"].get(stop, {}).values())

    def go_to(self, code, secret, stop: int) -> None:
        with self.lock:
            room = self._room(code, key_of(secret))
            room.update(stop=int(stop), revealed=False, model="")

    def reveal(self, code, secret, model_answer: str) -> None:
        with self.lock:
            room = self._room(code, key_of(secret))
            room.update(revealed=True, model=str(model_answer)[:200])

    def results(self, code, secret) -> list[tuple[int, str, int]]:
        """(stop, answer, count) for every stop that got answers: nothing about who gave them."""
        with self.lock:
            room = self._room(code, key_of(secret))
            return [(stop, answer, count) for stop in sorted(room["answers"])
                    for answer, count in tally(room["answers"][stop].values())]

    def close(self, code, secret) -> None:
        with self.lock:
            self._room(code, key_of(secret))
            del self.rooms[read_code(code)]


# Redis: each action that reads then writes is one Lua script, so two replicas never interleave inside it.
JOIN = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 and redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[2]) then
  return -2 end
redis.call('SADD', KEYS[2], ARGV[1])
return 0
"""
ANSWER = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then return -3 end
local stop = redis.call('HGET', KEYS[1], 'stop')
if ARGV[4] ~= '' and ARGV[4] ~= stop then return -5 end
if redis.call('HGET', KEYS[1], 'revealed') == '1' then return -4 end
redis.call('HSET', KEYS[1] .. ':answers:' .. stop, ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1] .. ':answers:' .. stop, tonumber(ARGV[3]))
return tonumber(stop)
"""


@dataclass
class RedisRooms:
    """The rooms in Redis, shared by every replica given the same URL."""
    url: str
    limits: RoomLimits = RoomLimits()
    prefix: str = "dle:"
    client: object = field(default=None, repr=False)

    def __post_init__(self):
        import redis

        self.client = self.client or redis.Redis.from_url(self.url, decode_responses=True)
        self.join_script, self.answer_script = self.client.register_script(JOIN), self.client.register_script(ANSWER)

    def key(self, code: str) -> str:
        return f"{self.prefix}room:{code}"

    @property
    def idle_s(self) -> int:
        return int(self.limits.idle_hours * 3600)

    def _touch(self, code: str, stop: int | None = None) -> None:
        key, pipe = self.key(code), self.client.pipeline()
        for name in (key, key + ":students") + ((f"{key}:answers:{stop}",) if stop is not None else ()):
            pipe.expire(name, self.idle_s)
        pipe.zadd(self.prefix + "rooms", {code: time.time()})
        pipe.execute()

    def _room(self, code, secret: str | None = None) -> tuple[str, dict]:
        code = read_code(code)
        room = self.client.hgetall(self.key(code))
        if not room:
            raise unknown(code)
        if secret is not None and not hmac.compare_digest(room["secret"], digest(str(secret))):
            raise RoomError("Only the lecturer's page can do this (its link carries the room's key).")
        self._touch(code, int(room["stop"]))
        return code, room

    def open(self, tour: str) -> tuple[str, str]:
        rooms = self.prefix + "rooms"
        self.client.zremrangebyscore(rooms, 0, time.time() - self.idle_s)
        if self.client.zcard(rooms) >= self.limits.max_rooms:
            raise RoomError(f"{self.limits.max_rooms} rooms are open on this server: close one, or try later.")
        secret = new_secret()
        while True:
            code = new_code()
            fields = dict(tour=tour, secret=digest(secret), stop=1, revealed=0, model="")
            if self.client.hsetnx(self.key(code), "tour", tour):          # claims the code (another replica may race)
                self.client.hset(self.key(code), mapping=fields)
                self._touch(code)
                return code, secret

    def view(self, code) -> RoomView:
        code, room = self._room(code)
        key = self.key(code)
        students, answered = self.client.scard(key + ":students"), self.client.hlen(f"{key}:answers:{room['stop']}")
        return RoomView(code, room["tour"], int(room["stop"]), room["revealed"] == "1", room["model"], students,
                        answered)

    def join(self, code, student) -> RoomView:
        student, code = student_id(student), read_code(code)
        key = self.key(code)
        status = self.join_script(keys=[key, key + ":students"], args=[student, self.limits.max_students])
        if status == -1:
            raise unknown(code)
        if status == -2:
            raise RoomError(f"This room is full ({self.limits.max_students} students).")
        return self.view(code)

    def answer(self, code, student, text, stop: int | None = None) -> str:
        student, answer, code = student_id(student), normalised_answer(text), read_code(code)
        key = self.key(code)
        status = self.answer_script(keys=[key, key + ":students"],
                                    args=[student, answer, self.idle_s, "" if stop is None else int(stop)])
        if status == -1:
            raise unknown(code)
        if status == -3:
            raise RoomError("Join the room first (its code is on the lecturer's screen).")
        if status == -4:
            raise RoomError("The answer has been revealed: wait for the next question.")
        if status == -5:
            raise moved_on(self.client.hget(key, "stop"))
        self._touch(code, status)
        return answer

    def my_answer(self, code, student) -> str | None:
        student = student_id(student)
        code, room = self._room(code)
        return self.client.hget(f"{self.key(code)}:answers:{room['stop']}", student)

    def tally(self, code, stop: int, secret: str | None = None) -> list[tuple[str, int]]:
        code, room = self._room(code, secret)
        if secret is None and not (room["revealed"] == "1" and int(room["stop"]) == stop):
            raise RoomError("The room's answers are shown after the reveal.")
        return tally(self.client.hvals(f"{self.key(code)}:answers:{int(stop)}"))

    def go_to(self, code, secret, stop: int) -> None:
        code, _ = self._room(code, key_of(secret))
        self.client.hset(self.key(code), mapping=dict(stop=int(stop), revealed=0, model=""))

    def reveal(self, code, secret, model_answer: str) -> None:
        code, _ = self._room(code, key_of(secret))
        self.client.hset(self.key(code), mapping=dict(revealed=1, model=str(model_answer)[:200]))

    def results(self, code, secret) -> list[tuple[int, str, int]]:
        code, _ = self._room(code, key_of(secret))
        prefix = f"{self.key(code)}:answers:"
        stops = sorted(int(name[len(prefix):]) for name in self.client.scan_iter(prefix + "*"))
        return [(stop, answer, count) for stop in stops for answer, count in tally(self.client.hvals(prefix + str(stop)))]

    def close(self, code, secret) -> None:
        code, _ = self._room(code, key_of(secret))
        key = self.key(code)
        self.client.delete(key, key + ":students", *self.client.scan_iter(key + ":answers:*"))
        self.client.zrem(self.prefix + "rooms", code)


def rooms_for(redis_url: str | None, limits: RoomLimits = RoomLimits()):
    """The app's room store: Redis when a URL is given (--rooms-redis), else this process's."""
    return RedisRooms(redis_url, limits) if redis_url else MemoryRooms(limits)

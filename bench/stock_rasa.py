"""The same-run baseline for the holds benchmark: stock Rasa's bare delivery path.

Stand-in's pickup notification reaches the owner through Rasa: the action server POSTs
`/conversations/{id}/trigger_intent?output_channel=callback&token=…`, Rasa runs the action and
its callback channel POSTs the message to the owner inbox. `StockRasa` serves Rasa's own
starter assistant (`rasa init`: no action server, in-memory tracker store) with the same
launcher (`python -m launcher.rasa_server`), the same callback channel and the same inbox, and
`measure()` times that path alone: from just before the `trigger_intent` POST (intent `greet`,
which the starter stories answer with `utter_greet`) to the inbox stamping the conversation's
first message. Stand-in's pickup p95 divided by this p95 is what Stand-in adds on top of Rasa.

The trained starter model is cached under var/bench-cache/stock/rasa-<version>/ (training
takes minutes on two cores); it is trained only when the cache has none, and the training time
is recorded then (and kept in the cache's training.json).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.holds import summary
from bench.procstat import CpuWindow, group_peak_rss_mb
from launcher.conversation import http_json
from launcher.owner_inbox import OwnerInbox
from launcher.processes import PROJECT_ROOT, ManagedProcess, ProcessFailed, free_port
from launcher.tokens import new_token

WORK_DIR = PROJECT_ROOT / "var" / "bench" / "stock"
CACHE_ROOT = PROJECT_ROOT / "var" / "bench-cache" / "stock"
INTENT = "greet"  # the starter stories answer it with utter_greet
SENDER_PREFIX = "bench-stock"
WARMUP = 3  # unmeasured conversations first: Rasa's first predictions are slower
TRAIN_TIMEOUT_S = 1800.0
START_TIMEOUT_S = 240.0
BASE_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYTHONUNBUFFERED": "1",
}
ENDPOINTS_YAML = (
    "# Stock Rasa for the holds benchmark's baseline: no action server, no model server,\n"
    "# Rasa's default in-memory tracker and lock stores.\n"
)


class StockRasaError(RuntimeError):
    """The stock assistant could not be trained or served; the message says why."""


def _log_default(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] stock: {message}", file=sys.stderr, flush=True)


# --- pure helpers ---------------------------------------------------------------------------


def credentials_yaml(callback_url: str) -> str:
    """The stock server's channels: REST, and the callback channel pushing to `callback_url`."""
    return f'rest:\n\ncallback:\n  url: "{callback_url}"\n'


def trigger_url(rasa_url: str, conversation_id: str, token: str, channel: str = "callback") -> str:
    """The URL Stand-in's action server POSTs to, for one conversation."""
    query = urllib.parse.urlencode({"output_channel": channel, "token": token})
    quoted = urllib.parse.quote(conversation_id, safe="")
    return f"{rasa_url}/conversations/{quoted}/trigger_intent?{query}"


def conversation_ids(count: int, start: int = 1, prefix: str = SENDER_PREFIX) -> list[str]:
    """`count` conversation ids from `start`: bench-stock-0001, bench-stock-0002, …"""
    return [f"{prefix}-{i:04d}" for i in range(start, start + count)]


def first_arrivals(messages: Iterable[dict[str, Any]], since: dict[str, float]) -> dict[str, float]:
    """recipient -> when its first message arrived, counting only messages stamped at or after
    `since[recipient]` (recipients not in `since` are ignored)."""
    first: dict[str, float] = {}
    for message in messages:
        recipient = str(message.get("recipient_id"))
        received = message.get("received_at")
        if recipient not in since or received is None or float(received) < since[recipient]:
            continue
        first[recipient] = min(float(received), first.get(recipient, float("inf")))
    return first


def latencies(sent: list[dict[str, Any]], arrived: dict[str, float]) -> list[float]:
    """Arrival minus `before` for each sent trigger whose message arrived, in send order."""
    return [
        arrived[s["conversation_id"]] - s["before"] for s in sent if s["conversation_id"] in arrived
    ]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator rounded to 0.1, or None when either is missing or zero."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return round(numerator / denominator, 1)


def cached_model(cache_dir: Path) -> Path | None:
    """The newest trained model in `cache_dir`, if any."""
    models = sorted(cache_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def rasa_version() -> str:
    try:
        return metadata.version("rasa")
    except metadata.PackageNotFoundError:
        return "unknown"


def cache_dir_for(version: str, root: Path = CACHE_ROOT) -> Path:
    """One cache per Rasa version: the starter project changes with Rasa."""
    return root / f"rasa-{version}"


def attach(result: dict[str, Any], stock: dict[str, Any]) -> dict[str, Any]:
    """Put the stock figures and the comparison into the holds `result` (in place; returned).

    A stock run that failed adds its problems to the result's, prefixed "stock Rasa: ".
    """
    result.setdefault("params", {})["stock"] = True
    result["stock"] = stock
    stand_in = (result.get("pickups") or {}).get("latency_s") or {}
    stand_in_burst = (result.get("burst") or {}).get("latency_s") or {}
    seq = (stock.get("sequential") or {}).get("latency_s") or {}
    burst = (stock.get("burst") or {}).get("latency_s") or {}
    result["comparison"] = {
        "pickup_p95_over_stock_p95": ratio(stand_in.get("p95"), seq.get("p95")),
        "pickup_p50_over_stock_p50": ratio(stand_in.get("p50"), seq.get("p50")),
        "burst_p95_over_stock_burst_p95": ratio(stand_in_burst.get("p95"), burst.get("p95")),
        "note": "Stand-in's latency starts at the desk queueing call.agent_connected; stock"
        " Rasa's just before its trigger_intent POST",
    }
    problems = [f"stock Rasa: {p}" for p in stock.get("problems", [])]
    if problems:
        result.setdefault("problems", []).extend(problems)
        result["ok"] = False
    return result


# --- processes ------------------------------------------------------------------------------


def _rasa_cli() -> list[str]:
    rasa = Path(sys.executable).parent / "rasa"
    return [str(rasa)] if rasa.exists() else [sys.executable, "-m", "rasa"]


def _template_dir() -> Path:
    spec = importlib.util.find_spec("rasa")  # locates the package without importing it
    if spec is None or spec.origin is None:
        raise StockRasaError("rasa is not installed in this Python")
    return Path(spec.origin).parent / "cli" / "initial_project"


def _copy_template(dest: Path) -> None:
    """What `rasa init` copies (rasa.cli.scaffold.create_initial_project), without training."""
    shutil.copytree(
        _template_dir(), dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
    )


def _run_logged(argv: list[str], log_path: Path, cwd: Path, timeout_s: float) -> int:
    """Run to completion in its own process group, output to `log_path`; returns the exit code.
    Interrupted or timed out, the whole group is stopped."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**os.environ, **BASE_ENV},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            return proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired as err:
            raise StockRasaError(f"{' '.join(argv[:2])} took over {timeout_s:.0f}s") from err
        finally:
            if proc.poll() is None:
                for sig, wait_s in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
                    try:
                        os.killpg(proc.pid, sig)
                        proc.wait(timeout=wait_s)
                        break
                    except ProcessLookupError:
                        break
                    except subprocess.TimeoutExpired:
                        continue


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class StockRasa:
    """Rasa's starter assistant served with a callback channel into an OwnerInbox.

    `with StockRasa() as stock: figures = stock.measure(...)`; `training` says whether the
    model came from the cache or was trained now (and how long that took), `start_s` how long
    the server took to answer.
    """

    speedups = "off"  # stock Rasa, as shipped (launcher/rasa_server.py)

    def __init__(
        self,
        work_dir: Path = WORK_DIR,
        cache_root: Path = CACHE_ROOT,
        log: Callable[[str], None] = _log_default,
        train_timeout_s: float = TRAIN_TIMEOUT_S,
        start_timeout_s: float = START_TIMEOUT_S,
    ) -> None:
        self.work_dir = work_dir
        self.version = rasa_version()
        self.cache_dir = cache_dir_for(self.version, cache_root)
        self.log = log
        self.train_timeout_s = train_timeout_s
        self.start_timeout_s = start_timeout_s
        self.token = new_token()
        self.port: int | None = None
        self.inbox: OwnerInbox | None = None
        self.server: ManagedProcess | None = None
        self.model: Path | None = None
        self.training: dict[str, Any] = {}
        self.start_s: float | None = None

    def __enter__(self) -> StockRasa:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # setting up

    def prepare_model(self) -> Path:
        """The cached starter model, or a freshly trained (and then cached) one."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        model = cached_model(self.cache_dir)
        if model is not None:
            _copy_template(self.work_dir)  # the project the model came from, for reference
            info_path = self.cache_dir / "training.json"
            info = json.loads(info_path.read_text()) if info_path.exists() else {}
            self.training = {"trained_now": False, "model": str(model), "cached": info}
            self.log(f"model from the cache: {model}")
            return model
        self.training = self._train()
        return Path(self.training["model"])

    def _train(self) -> dict[str, Any]:
        log_path = self.work_dir / "logs" / "train.log"
        models_dir = self.work_dir / "models"
        self.log(f"no cached model: `rasa init --no-prompt` in {self.work_dir} (log {log_path})")
        started = time.monotonic()
        argv = [*_rasa_cli(), "init", "--no-prompt", "--init-dir", str(self.work_dir)]
        code = _run_logged(argv, log_path, self.work_dir, self.train_timeout_s)
        how = "rasa init --no-prompt"
        model = cached_model(models_dir)
        if code != 0 or model is None:
            self.log(f"rasa init ended with {code} and no model; copying the template, rasa train")
            _copy_template(self.work_dir)
            argv = [
                *_rasa_cli(),
                "train",
                "--config",
                "config.yml",
                "--domain",
                "domain.yml",
                "--data",
                "data",
                "--out",
                "models",
            ]
            code = _run_logged(argv, log_path, self.work_dir, self.train_timeout_s)
            how = "template copied, rasa train"
            model = cached_model(models_dir)
            if code != 0 or model is None:
                raise StockRasaError(
                    f"training the stock assistant failed (exit {code}); {log_path}:\n"
                    + _tail(log_path)
                )
        return self._keep(model, how, round(time.monotonic() - started, 1))

    def _keep(self, model: Path, how: str, seconds: float) -> dict[str, Any]:
        """Cache a model trained now (copied whole, then renamed) with its training.json."""
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        partial = self.cache_dir / f".{model.name}.part"
        shutil.copy2(model, partial)
        cached = partial.replace(self.cache_dir / model.name)
        info = {
            "how": how,
            "seconds": seconds,
            "rasa": self.version,
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        }
        (self.cache_dir / "training.json").write_text(json.dumps(info, indent=2) + "\n")
        self.log(f"trained in {seconds}s ({how}); cached as {cached}")
        return {"trained_now": True, "model": str(cached), **info}

    def start(self) -> StockRasa:
        self.model = self.prepare_model()
        self.inbox = OwnerInbox().start()
        credentials = self.work_dir / "credentials.yml"
        credentials.write_text(credentials_yaml(self.inbox.url))
        endpoints = self.work_dir / "endpoints.yml"
        endpoints.write_text(ENDPOINTS_YAML)
        self.port = free_port()
        paths = (str(PROJECT_ROOT), os.environ.get("PYTHONPATH"))
        pythonpath = os.pathsep.join(p for p in paths if p)
        env = {
            **BASE_ENV,
            "RASA_AUTH_TOKEN": self.token,
            "PYTHONPATH": pythonpath,
            "STANDIN_RASA_SPEEDUPS": self.speedups,
        }
        argv = [
            sys.executable,
            "-m",
            "launcher.rasa_server",
            "--model",
            str(self.model),
            "--credentials",
            str(credentials),
            "--endpoints",
            str(endpoints),
            "--port",
            str(self.port),
            "--interface",
            "127.0.0.1",
        ]
        started = time.monotonic()
        # cwd: the stock project, so nothing of Stand-in's (endpoints.yml, .rasa/) is picked up.
        self.server = ManagedProcess(
            "stock rasa server", argv, self.work_dir / "logs" / "rasa.log", env, cwd=self.work_dir
        ).start()
        self.server.wait_for_http(f"{self.url}/", timeout_s=self.start_timeout_s)
        self.start_s = round(time.monotonic() - started, 1)
        self.log(f"serving on {self.url} after {self.start_s}s")
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.inbox is not None:
            self.inbox.stop()
            self.inbox = None

    # measuring

    def _trigger(self, conversation_id: str, timeout_s: float) -> dict[str, Any]:
        before = time.time()
        try:
            status, body = http_json(
                "POST",
                trigger_url(self.url, conversation_id, self.token),
                {"name": INTENT},
                timeout_s=timeout_s,
            )
            error = None if status == 200 else str(body)[:300]
        except Exception as err:  # noqa: BLE001 (every failure is a figure)
            status, error = None, f"{type(err).__name__}: {err}"[:300]
        return {
            "conversation_id": conversation_id,
            "before": before,
            "post_s": time.time() - before,
            "status": status,
            "error": error,
        }

    def _await(self, sent: list[dict[str, Any]], wait_s: float) -> dict[str, float]:
        """conversation id -> arrival of its first message, for those that arrive in time."""
        assert self.inbox is not None
        since = {s["conversation_id"]: s["before"] for s in sent if s["status"] == 200}
        deadline = max((s["before"] for s in sent), default=time.time()) + wait_s
        while True:
            arrived = first_arrivals(self.inbox.messages(), since)
            if len(arrived) == len(since) or time.time() > deadline:
                return arrived
            time.sleep(0.05)  # polling interval; arrival times are stamped by the inbox

    def _figures(
        self, sent: list[dict[str, Any]], arrived: dict[str, float], ps: tuple[int, ...]
    ) -> dict[str, Any]:
        return {
            "sent": len(sent),
            "post_failures": sum(1 for s in sent if s["status"] != 200),
            "failure_samples": [s["error"] for s in sent if s["status"] != 200][:3],
            "arrived": len(arrived),
            "missing": [
                s["conversation_id"]
                for s in sent
                if s["status"] == 200 and s["conversation_id"] not in arrived
            ],
            "latency_s": summary(latencies(sent, arrived), ps=ps),
            "post_s": summary([s["post_s"] for s in sent if s["status"] == 200], ps=ps),
        }

    def measure(
        self, count: int, rate: float, burst: int, wait_s: float = 30.0, warmup: int = WARMUP
    ) -> dict[str, Any]:
        """`count` conversations at `rate` per second, then `burst` at once; one trigger each."""
        if self.server is None or self.server.pid is None or self.inbox is None:
            raise StockRasaError("start() the stock server first")
        if count < 0 or burst < 0 or rate <= 0:
            raise ValueError("count >= 0, burst >= 0, rate > 0")
        warm_ids = conversation_ids(warmup, 1, f"{SENDER_PREFIX}-warmup")
        warm = [self._trigger(cid, wait_s) for cid in warm_ids]
        warm_arrived = self._await(warm, wait_s)
        pid = self.server.pid
        window = CpuWindow(pid).start()
        load = [round(x, 2) for x in os.getloadavg()]
        ids = conversation_ids(count + burst)
        sequential: list[dict[str, Any]] = []
        started = time.monotonic()
        for index, conversation_id in enumerate(ids[:count]):
            left = started + index / rate - time.monotonic()
            if left > 0:
                time.sleep(left)  # the trigger timer, as the pickups' one
            sequential.append(self._trigger(conversation_id, wait_s))
        sent_s = time.monotonic() - started
        seq_arrived = self._await(sequential, wait_s)
        with ThreadPoolExecutor(max_workers=max(1, burst)) as pool:
            bursting = list(pool.map(lambda cid: self._trigger(cid, wait_s), ids[count:]))
        burst_arrived = self._await(bursting, wait_s)
        window.stop()
        texts = {str(m.get("text")) for m in self.inbox.messages()}
        figures: dict[str, Any] = {
            "intent": INTENT,
            "replies_seen": sorted(texts)[:5],
            "load_average_at_start": load,
            "warmup": self._figures(warm, warm_arrived, (50, 95)),
            "sequential": {
                **self._figures(sequential, seq_arrived, (50, 95, 99)),
                "rate_target": rate,
                "rate_achieved": round((len(sequential) - 1) / sent_s, 2)
                if len(sequential) > 1 and sent_s > 0
                else None,
            },
            "burst": self._figures(bursting, burst_arrived, (50, 95)),
            "cpu_pct": round(window.percent, 2),
            "peak_rss_mb": round(group_peak_rss_mb(pid), 1),
        }
        problems = []
        for name, part in (("trigger", figures["sequential"]), ("burst trigger", figures["burst"])):
            if part["post_failures"]:
                problems.append(
                    f"{part['post_failures']} {name} POST(s) failed: {part['failure_samples'][0]}"
                )
            if part["missing"]:
                problems.append(
                    f"{len(part['missing'])} {name} message(s) never arrived within {wait_s}s:"
                    f" {part['missing'][:5]}"
                )
        figures["problems"] = problems
        return figures


def run_stock(
    count: int,
    rate: float,
    burst: int,
    *,
    wait_s: float = 30.0,
    work_dir: Path = WORK_DIR,
    cache_root: Path = CACHE_ROOT,
    order: str = "after Stand-in's stack stopped",
    log: Callable[[str], None] = _log_default,
) -> dict[str, Any]:
    """Train (or take from the cache), serve and measure the stock assistant; stop it.

    Returns the figures with `problems` and `ok`; a failure to train or serve is a problem,
    not an exception (KeyboardInterrupt still propagates, after the server is stopped).
    """
    started = time.monotonic()
    out: dict[str, Any] = {
        "order": order,
        "rasa": rasa_version(),
        "params": {"count": count, "rate": rate, "burst": burst, "wait_s": wait_s},
    }
    stock = StockRasa(work_dir=work_dir, cache_root=cache_root, log=log)
    try:
        with stock:
            out["model"] = str(stock.model)
            out["training"] = stock.training
            out["server_start_s"] = stock.start_s
            log(f"{count} triggers at {rate:g}/s, then a burst of {burst}")
            measuring = time.monotonic()
            out.update(stock.measure(count, rate, burst, wait_s=wait_s))
            out["measure_s"] = round(time.monotonic() - measuring, 1)
    except (StockRasaError, ProcessFailed, OSError) as err:
        out.setdefault("training", stock.training)
        out["problems"] = [f"{type(err).__name__}: {err}"[:2000]]
    out["total_s"] = round(time.monotonic() - started, 1)
    out["ok"] = not out.get("problems")
    training = out.get("training") or {}
    trained = f"trained in {training.get('seconds')}s" if training.get("trained_now") else "cached"
    seq = (out.get("sequential") or {}).get("latency_s") or {}
    log(
        f"done in {out['total_s']}s (model {trained}, server up in {out.get('server_start_s')}s,"
        f" measured in {out.get('measure_s')}s); p50 {seq.get('p50')}s, p95 {seq.get('p95')}s"
    )
    return out

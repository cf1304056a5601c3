"""Test helpers: the agent's reading rules in Python, stand-ins for the Trainer and the agent's endpoint."""
import http.server
import json
import os
import threading


def read_progress(run_dir, step, key):
    """What the agent's ProgressReader takes from progress.jsonl for a checkpoint: the value under
    `key` of the last line whose "step" is `step`, skipping lines that are not JSON (NaN and
    Infinity are not JSON to the agent's parser) and values that are not numbers."""
    path = os.path.join(run_dir, "progress.jsonl")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for line in reversed(lines):
        if not line.strip():
            continue
        try:
            entry = json.loads(line, parse_constant=_reject)
        except ValueError:
            continue
        value = entry.get(key)
        if entry.get("step") == step and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def _reject(token):
    raise ValueError(token)


class Args:
    def __init__(self, output_dir):
        self.output_dir = output_dir


class State:
    def __init__(self, max_steps, main=True):
        self.global_step = 0
        self.max_steps = max_steps
        self.is_world_process_zero = main
        self.log_history = []


class Control:
    def __init__(self):
        self.should_training_stop = False
        self.should_save = False
        self.should_log = False
        self.should_evaluate = False


def drive(callback, output_dir, max_steps, logging_steps, save_steps, logs_at, main=True, on_step=None, ppo=False):
    """Runs the Trainer's callback protocol as transformers' inner training loop orders it:
    on_step_end, then (conditionally, control.should_log included) on_log, on_save; stops when
    control says so. With ppo=True, as TRL's PPOTrainer loops instead: no on_step_begin, logs on
    its own schedule only, saves when asked, and never stops before max_steps. Returns
    (last step, saved steps)."""
    args, state, control = Args(output_dir), State(max_steps, main), Control()
    callback.on_init_end(args, state, control)
    callback.on_train_begin(args, state, control)
    saved = []
    for step in range(1, max_steps + 1):
        if not ppo:
            callback.on_step_begin(args, state, control)
            callback.on_substep_end(args, state, control)
        state.global_step = step
        if on_step:
            on_step(step)
        if not ppo:
            # transformers' DefaultFlowCallback, first in the list, sets the step's flags before the user's callbacks run.
            control.should_log = control.should_log or step % logging_steps == 0
            control.should_save = control.should_save or step % save_steps == 0
        control = callback.on_step_end(args, state, control) or control
        if step % logging_steps == 0 or (control.should_log and not ppo):
            logs = logs_at(step)
            state.log_history.append(dict(logs, step=step))
            control = callback.on_log(args, state, control, logs=logs) or control
        control.should_log = False
        if step % save_steps == 0 or control.should_save:
            os.makedirs(os.path.join(output_dir, "checkpoint-%d" % step), exist_ok=True)
            saved.append(step)
            control = callback.on_save(args, state, control) or control
            control.should_save = False
        if control.should_training_stop and not ppo:
            break
    callback.on_train_end(args, state, control)
    return state.global_step, saved


class ControlEndpoint:
    """The agent's GET /control on loopback: 204 for the first `no_decision_for` requests, then
    200 with `decision` as JSON (or `status` with no body, to test other answers)."""

    def __init__(self, decision, no_decision_for=0, status=200, delay=0.0):
        endpoint = self
        self.requests = 0
        self.decision = decision
        self.no_decision_for = no_decision_for
        self.status = status
        self.delay = delay
        self._released = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                try:
                    self.answer()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def answer(self):
                endpoint.requests += 1
                if endpoint.delay:
                    endpoint._released.wait(endpoint.delay)
                if self.path != "/control":
                    self.send_response(404)
                    self.end_headers()
                elif endpoint.requests <= endpoint.no_decision_for:
                    self.send_response(204)
                    self.end_headers()
                elif endpoint.status != 200:
                    self.send_response(endpoint.status)
                    self.end_headers()
                else:
                    body = json.dumps(endpoint.decision).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = "http://127.0.0.1:%d/control" % self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._released.set()
        self._server.shutdown()
        self._server.server_close()


def free_port_url():
    """A loopback URL nothing listens on (the port was bound, then released)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return "http://127.0.0.1:%d/control" % port


DECISION = {"run_id": "r1", "action": "early_stop", "at_step": 40, "reason": "gate passed 3 times", "predicted_model": "/out/r1/step-40",
            "confidence": 0.93, "decided_unix_ms": 1700000000000}

"""AlphaRL Stream from inside a trainer: progress values for the agent, early stops from it.

One file, Python 3.8+ standard library only: copy it next to your training script or put
this folder on PYTHONPATH. The AlphaRL agent (`alpharl agent watch OUTPUT_DIR --run-id ID`) runs beside
the trainer; this module is the trainer's half of the conversation:

* ``log_progress(output_dir, step, **values)`` appends ``{"step": 40, "reward": 0.61}`` to
  ``OUTPUT_DIR/progress.jsonl``, where the agent reads the progress value y_t of each
  checkpoint (``--progress-key reward``) when ``trainer_state.json`` does not have it.
* ``should_stop(output_dir, poll_url=None)`` returns the agent's early-stop decision (a dict:
  run_id, action, at_step, reason, predicted_model, confidence, decided_unix_ms) or None. The
  agent writes it atomically as JSON to ``OUTPUT_DIR/STOP`` and, with ``--control-port PORT``,
  serves it at ``http://127.0.0.1:PORT/control`` (204 until there is one, then 200 and the JSON).
* ``AlphaRLCallback`` does both for a Hugging Face ``Trainer`` or a TRL trainer
  (``callbacks=[AlphaRLCallback(progress_keys=("reward",))]``); it is duck-typed, so nothing
  here imports ``transformers``.

Nothing here raises into the training loop on an I/O or network problem: it logs one warning
per kind of problem (logger ``alpharl``) and carries on without the value or the decision.
Under ``torch.distributed`` only rank 0 writes progress lines.
"""
import http.client
import json
import logging
import math
import os
import sys
import time
import urllib.error
import urllib.request

__all__ = ["AlphaRLCallback", "log_progress", "should_stop", "PROGRESS_FILE", "STOP_FILE"]

PROGRESS_FILE = "progress.jsonl"
STOP_FILE = "STOP"
EARLY_STOP = "early_stop"

logger = logging.getLogger("alpharl")


class _Once:
    """Logs a warning the first time a kind of problem happens, then stays quiet about it."""

    def __init__(self):
        self._seen = set()

    def warn(self, kind, message, *args):
        if kind not in self._seen:
            self._seen.add(kind)
            logger.warning("AlphaRL: " + message + " (reported once)", *args)


_warnings = _Once()


def log_progress(output_dir, step, max_steps=None, **values):
    """Appends one line with the step and its numeric values to ``output_dir/progress.jsonl``.

    Values may be Python numbers or anything ``float()`` takes (a 0-d torch tensor, a numpy
    scalar); None, non-numbers and NaN or infinity are left out, since the agent would skip
    them. ``max_steps`` (the planned final step) lets the agent know the run's length when no
    ``trainer_state.json`` says it. Each line goes out in one ``write`` on a file opened for
    appending, so a reader sees whole lines, or a partial last one that it skips.

    Returns the dict written, or None when there was nothing to write or the write failed.
    """
    line = {"step": int(step)}
    if max_steps is not None:
        values = dict(values, max_steps=max_steps)
    for key, value in values.items():
        number = _number(value)
        if number is None:
            if value is not None:
                _warnings.warn("value:" + key, "progress value %s=%r is not a finite number; left out", key, value)
            continue
        line[key] = number
    if len(line) == 1:
        return None
    if _rank() != 0:
        # Under torchrun every rank runs the loop; the agent takes the last line of a step, so a
        # rank's own (unreduced) value would win by timing. Rank 0 writes.
        return None
    data = (json.dumps(line) + "\n").encode("utf-8")
    try:
        # verl and OpenRLHF make their checkpoint folder at their first save: the steps logged before it were lost, said once,
        # which then hid a later failure (a full disk) too.
        os.makedirs(output_dir, exist_ok=True)
        fd = os.open(os.path.join(output_dir, PROGRESS_FILE), os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if _ends_cut_short(fd):
                # A crash or a full disk cut the last line short; appended to it, this line would be unreadable too.
                data = b"\n" + data
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    except OSError as e:
        _warnings.warn("progress-write", "cannot append to %s: %s", os.path.join(output_dir, PROGRESS_FILE), e)
        return None
    return line


def should_stop(output_dir, poll_url=None, timeout=2.0, run_id=None):
    """The agent's early-stop decision, or None while there is none.

    Reads ``output_dir/STOP`` first; a STOP file that is not the agent's JSON (say, made by hand
    with ``touch``) still stops, with the file's text as the reason. Then, when ``poll_url`` is
    given (``http://127.0.0.1:PORT/control``), asks the agent: 204 means no decision, 200 carries
    it. A network error, a timeout (``timeout`` seconds) or an unexpected answer counts as no
    decision and is logged once. With ``run_id`` (the agent's ``--run-id``), a decision for another
    run (a STOP file an earlier run left in the output folder) is not this run's: ignored, with a
    warning.
    """
    decision = _this_runs(_read_stop_file(os.path.join(output_dir, STOP_FILE)), run_id, output_dir)
    if decision is None and poll_url:
        # Asked also when a STOP file names another run: an earlier run's file the agent could not overwrite must not
        # hide this run's decision.
        decision = _this_runs(_poll(poll_url, timeout), run_id, poll_url)
    if decision is not None and decision.get("action", EARLY_STOP) != EARLY_STOP:
        return None
    return decision


def _this_runs(decision, run_id, where):
    """The decision, unless run_id is given and it names another run (then None, with a warning)."""
    if decision is not None and run_id is not None and decision.get("run_id", run_id) != run_id:
        _warnings.warn("stop-other-run", "a decision for run %s, not this run (%s), is in %s; ignored (an earlier run's?)",
                       decision.get("run_id"), run_id, where)
        return None
    return decision


class AlphaRLCallback:
    """A ``transformers.TrainerCallback`` for the Hugging Face Trainer and TRL's trainers.

    On every log it writes the values under ``progress_keys`` to ``progress.jsonl`` (main
    process only); on every save of a step that logged none of them it writes the newest values
    logged so far, marked with the step they come from (``"logged_step"``), so each checkpoint
    has a progress value even when ``logging_steps`` does not divide ``save_steps``.

    At each step end it checks for the agent's decision (the STOP file every step; the poll
    endpoint at most every ``poll_interval`` seconds) and, once there is one, sets
    ``control.should_save`` and ``control.should_training_stop``: the Trainer saves a last
    checkpoint and ends training. Under ``torch.distributed`` the main process decides and the
    decision is broadcast, so every rank stops at the same step.

    Duck-typed: it answers every ``on_*`` event, so ``Trainer(callbacks=[AlphaRLCallback()])``
    works without this module importing ``transformers``.
    """

    def __init__(self, progress_keys=("reward",), poll_url=None, poll_interval=30.0, timeout=2.0, output_dir=None,
                 clock=time.monotonic, run_id=None):
        self.progress_keys = (progress_keys,) if isinstance(progress_keys, str) else tuple(progress_keys)
        self.poll_url = poll_url
        self.poll_interval = float(poll_interval)
        self.timeout = float(timeout)
        self.output_dir = output_dir
        self.run_id = run_id
        self.decision = None
        self._clock = clock
        self._next_poll = None
        self._latest = {}  # key -> (value, the step it was logged at)
        self._written = {}  # step -> the progress keys written for it
        self._stop_step = None
        self._saved_step = None

    def __getattr__(self, name):
        # The Trainer calls every event on every callback; the events this class does not use do nothing.
        if name.startswith("on_"):
            return _ignore
        raise AttributeError(name)

    def on_train_begin(self, args, state, control, **kwargs):
        # A trainer (and this callback) reused for another train() call, as hyperparameter_search does: nothing of the
        # last run's decision or progress values carries over.
        self.decision = None
        self._next_poll = None
        self._latest = {}
        self._written = {}
        self._stop_step = None
        self._saved_step = None
        # A run resumed from a checkpoint too (global_step is loaded before this event): the decision that ended it stops it again.
        if _is_main(state) and os.path.exists(os.path.join(self._dir(args), STOP_FILE)):
            _warnings.warn("stop-at-begin", "%s is there before training began: an earlier decision stops this run at its first step"
                           "%s; delete it to train", os.path.join(self._dir(args), STOP_FILE),
                           "" if self.run_id is None else " unless it names another run than %s" % self.run_id)
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        values = {k: logs[k] for k in self.progress_keys if logs and _number(logs.get(k)) is not None}
        if values:
            self._latest.update({k: (v, state.global_step) for k, v in values.items()})
            if self._write(args, state, values):
                self._written.setdefault(state.global_step, set()).update(values)
        return control

    def on_save(self, args, state, control, **kwargs):
        self._saved_step = state.global_step
        written = self._written.get(state.global_step, set())
        missing = {k: vs for k, vs in self._latest.items() if k not in written}
        # One carried line per step the values come from, so that "logged_step" is each value's own.
        for logged_step in sorted({s for _, s in missing.values()}):
            carried = {k: v for k, (v, s) in missing.items() if s == logged_step}
            if self._write(args, state, dict(carried, logged_step=logged_step)):
                self._written.setdefault(state.global_step, set()).update(carried)
        if not self._latest and _is_main(state):
            seen = sorted({k for entry in (getattr(state, "log_history", None) or []) for k, v in entry.items()
                           if k != "step" and _number(v) is not None})
            if seen:
                _warnings.warn("no-progress-key", "no %s logged so far, so checkpoints get no progress value; this trainer logs %s:"
                               " pass one of them as progress_keys (and to the agent's --progress-key)", "/".join(self.progress_keys),
                               ", ".join(seen[:12]))
        self._written = {k: v for k, v in self._written.items() if k >= state.global_step}
        return control

    def on_step_end(self, args, state, control, **kwargs):
        if self.decision is None:
            decision = self._check(args, state) if _is_main(state) else None
            self.decision = _agree(decision)
            if self.decision is not None:
                self._stop_step = state.global_step
            if self.decision is not None and _is_main(state):
                logger.warning("AlphaRL: early stop after step %s: %s (predicted model: %s)", state.global_step,
                               self.decision.get("reason", "STOP"), self.decision.get("predicted_model", "none"))
        if self.decision is not None:
            if state.global_step > self._stop_step:
                # TRL's PPOTrainer (and its old RLOO) loops to the end whatever control says: save once, and say so (on rank 0).
                if _is_main(state):
                    _warnings.warn("stop-ignored", "this trainer goes on after the early stop at step %s (it ignores"
                                   " control.should_training_stop): stop it yourself; its checkpoint of that step is saved",
                                   self._stop_step)
            else:
                control.should_save = True
            control.should_training_stop = True
        if control.should_save:
            # A fresh log at every save step, so that each checkpoint's progress value is its own
            # and not one carried from up to logging_steps - 1 steps before.
            control.should_log = True
        return control

    def on_epoch_end(self, args, state, control, **kwargs):
        if self.decision is not None and self._saved_step == self._stop_step:
            # With save_strategy="epoch" the epoch's end would save the stop step again, over its checkpoint.
            control.should_save = False
            control.should_evaluate = False
        if control.should_save:
            # save_strategy="epoch" asks for the save here, after on_step_end: a fresh log for it too, as at a step's save.
            control.should_log = True
        return control

    def _check(self, args, state):
        output_dir = self._dir(args)
        poll_url = None
        now = self._clock()
        if self.poll_url and (self._next_poll is None or now >= self._next_poll):
            poll_url = self.poll_url
            self._next_poll = now + self.poll_interval
        return should_stop(output_dir, poll_url, self.timeout, self.run_id)

    def _write(self, args, state, values):
        if not _is_main(state):
            return False
        max_steps = getattr(state, "max_steps", None) or None
        return log_progress(self._dir(args), state.global_step, max_steps=max_steps, **values) is not None

    def _dir(self, args):
        return self.output_dir or args.output_dir


def _ignore(*args, **kwargs):
    return None


def _number(value):
    if value is None or isinstance(value, (bool, str, bytes)):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _is_main(state):
    return getattr(state, "is_world_process_zero", True)


def _rank():
    """This process's rank under torch.distributed; 0 without it."""
    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return 0
    return dist.get_rank()


def _ends_cut_short(fd):
    """Whether the file's last byte is not a newline (a line cut short); False for an empty file."""
    size = os.fstat(fd).st_size
    if size == 0:
        return False
    try:
        return os.pread(fd, 1, size - 1) != b"\n"
    except (AttributeError, OSError):  # no pread (Windows): assume whole lines
        return False


def _agree(decision):
    """The main process's decision on every rank, when torch.distributed runs more than one."""
    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized() or dist.get_world_size() < 2:
        return decision
    box = [decision]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def _read_stop_file(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    except OSError as e:
        _warnings.warn("stop-read", "cannot read %s: %s; stopping anyway", path, e)
        return {"action": EARLY_STOP, "reason": "STOP file present but unreadable: %s" % e}
    try:
        decision = json.loads(text)
        if isinstance(decision, dict):
            return decision
    except ValueError:
        pass
    return {"action": EARLY_STOP, "reason": text.strip() or "STOP file present"}


# The agent listens on loopback: an http_proxy set for the trainer's downloads must not be asked.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _poll(url, timeout):
    try:
        with _opener.open(url, timeout=timeout) as response:
            if response.status == 204:
                return None
            body = response.read()
            if response.status != 200:
                _warnings.warn("poll-status", "%s answered HTTP %s; treating it as no decision", url, response.status)
                return None
    except urllib.error.HTTPError as e:
        _warnings.warn("poll-status", "%s answered HTTP %s; treating it as no decision", url, e.code)
        return None
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as e:
        # Connection refused, timeout, bad URL: the agent may not be up yet; training goes on.
        _warnings.warn("poll-network", "cannot reach %s (%s); training goes on, the STOP file still works", url, e)
        return None
    try:
        decision = json.loads(body.decode("utf-8"))
    except ValueError as e:
        _warnings.warn("poll-body", "%s sent a decision that is not JSON (%s); ignored", url, e)
        return None
    if not isinstance(decision, dict):
        _warnings.warn("poll-body", "%s sent %r, not a decision object; ignored", url, decision)
        return None
    return decision

"""A run directory as the benchmark sees it: its checkpoints, planned steps, kind and windows."""
import json
import os

WINDOWS = (0.1, 0.2, 0.3, 0.4, 0.5)


class Run:
    """checkpoint-<step>/ directories of one trainer run (checkpoint-0 is the base model)."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.name = os.path.basename(self.path.rstrip("/"))
        self.steps = sorted(int(d.split("-", 1)[1]) for d in os.listdir(self.path)
                            if d.startswith("checkpoint-") and d.split("-", 1)[1].isdigit())
        if not self.steps or self.steps[0] != 0:
            raise ValueError(f"{self.path}: no checkpoint-0 (the base model)")
        self.final = self.steps[-1]
        state = read_json(os.path.join(self.checkpoint(self.final), "trainer_state.json"))
        self.planned = int(state.get("max_steps") or self.final)
        if self.planned != self.final:
            raise ValueError(f"{self.path}: planned {self.planned} steps but the newest checkpoint is {self.final}; "
                             "retention needs the fully trained model")
        self.history = {int(e["step"]): e for e in state.get("log_history", [])}
        self.kind = kind_of(read_json(os.path.join(self.checkpoint(0), "config.json")))

    def checkpoint(self, step):
        return os.path.join(self.path, f"checkpoint-{step}")

    def window_step(self, fraction):
        """The first checkpoint at or after fraction * planned steps."""
        return min(s for s in self.steps if s >= fraction * self.planned)

    def progress(self, step, key="eval_accuracy"):
        """The trainer's logged progress value at a step (what the signal axis fits), or None."""
        v = self.history.get(step, {}).get(key)
        return None if v is None else float(v)


def kind_of(config):
    """'minilm' for examples/trainer-minilm's BERT runs, 'add2' for examples/trainer's tiny GPT."""
    if config.get("model_type") == "bert":
        return "minilm"
    if "task_digits" in config:
        return "add2"
    raise ValueError(f"unknown model (model_type {config.get('model_type')!r}): no evaluator for it")


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)

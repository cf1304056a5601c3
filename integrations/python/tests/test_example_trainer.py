"""examples/trainer/trainer.py's stop path, imported with a stand-in torch so it runs where torch is absent.

The stand-in only has to survive the trainer's module-level code (class bodies, default
arguments, a decorator, dict keys); the stop path itself is plain Python and the integration."""
import importlib.util
import os
import sys
import tempfile
import types
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import alpharl_trainer as at  # noqa: E402
from tests.support import DECISION, ControlEndpoint, read_progress  # noqa: E402

TRAINER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "examples", "trainer", "trainer.py")


class _StandIn(types.ModuleType):
    """A module whose every attribute is a distinct placeholder; calling one gives an identity decorator."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        value = _Placeholder(self.__name__ + "." + name)
        setattr(self, name, value)
        return value


class _Placeholder:
    def __init__(self, name):
        self.name = name

    def __call__(self, *args, **kwargs):
        return lambda f: f  # torch.no_grad() used as a decorator


def load_trainer():
    torch, nn, functional = _StandIn("torch"), _StandIn("torch.nn"), _StandIn("torch.nn.functional")
    nn.Module = object
    torch.nn, nn.functional = nn, functional
    stand_ins = {"torch": torch, "torch.nn": nn, "torch.nn.functional": functional}
    saved = {k: sys.modules.get(k) for k in stand_ins}
    sys.modules.update(stand_ins)
    try:
        spec = importlib.util.spec_from_file_location("example_trainer_under_test", TRAINER)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


class ExampleTrainerStopTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.trainer = load_trainer()

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.out = self._tmp.name
        self.saves = []
        at._warnings = at._Once()

    def tearDown(self):
        self._tmp.cleanup()

    def end_of_step(self, step, values, due, poll_url=None, save=None):
        return self.trainer.end_of_step(self.out, step, values, due, save or (lambda: self.saves.append(step)), poll_url)

    def test_the_trainer_uses_the_integration(self):
        self.assertIs(self.trainer.alpharl_trainer.should_stop, at.should_stop)

    def test_without_a_decision_it_logs_progress_and_goes_on(self):
        self.assertIsNone(self.end_of_step(3, {"reward": 0.5}, due=False))
        self.assertEqual(read_progress(self.out, 3, "reward"), 0.5)
        self.assertEqual(self.saves, [])

    def test_a_stop_file_stops_it_with_a_checkpoint_of_the_step(self):
        with open(os.path.join(self.out, "STOP"), "w") as f:
            f.write('{"action": "early_stop", "at_step": 40, "reason": "gate passed"}')
        decision = self.end_of_step(42, {"reward": 0.75}, due=False)
        self.assertEqual(decision["reason"], "gate passed")
        self.assertEqual(self.saves, [42])
        self.assertEqual(read_progress(self.out, 42, "reward"), 0.75)

    def test_a_step_due_is_saved_once_with_its_values(self):
        open(os.path.join(self.out, "STOP"), "w").close()

        def save():
            self.saves.append(45)
            return {"eval_accuracy": 0.5}

        self.assertIsNotNone(self.end_of_step(45, {"reward": 0.75}, due=True, save=save))
        self.assertEqual(self.saves, [45])
        self.assertEqual(read_progress(self.out, 45, "eval_accuracy"), 0.5)

    def test_a_stop_written_after_a_due_save_began_stops_the_next_step_with_its_own_save(self):
        # The agent ends a run stopped early once it has a checkpoint saved after the STOP. Read after
        # the due save, a STOP written in between stopped the trainer on an older checkpoint, and the
        # run was never closed.
        def save_then_stop_written():
            self.saves.append(44)
            with open(os.path.join(self.out, "STOP"), "w") as f:
                f.write('{"action": "early_stop", "at_step": 40}')

        self.assertIsNone(self.end_of_step(44, {"reward": 0.5}, due=True, save=save_then_stop_written))
        self.assertIsNotNone(self.end_of_step(45, {"reward": 0.75}, due=False))
        self.assertEqual(self.saves, [44, 45])

    def test_the_poll_endpoint_stops_it(self):
        with ControlEndpoint(DECISION, no_decision_for=1) as agent:
            self.assertIsNone(self.end_of_step(1, {"reward": 0.1}, due=False, poll_url=agent.url))
            self.assertEqual(self.end_of_step(2, {"reward": 0.2}, due=False, poll_url=agent.url), DECISION)
        self.assertEqual(self.saves, [2])


if __name__ == "__main__":
    unittest.main()

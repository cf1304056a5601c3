"""The trainer integration against the agent's file and HTTP contracts (no transformers, no torch)."""
import contextlib
import json
import os
import sys
import tempfile
import types
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import alpharl_trainer as at  # noqa: E402
from tests.support import DECISION, ControlEndpoint, drive, free_port_url, read_progress  # noqa: E402


class Base(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name
        at._warnings = at._Once()  # each test sees its own first warnings

    def tearDown(self):
        self._tmp.cleanup()

    def write_stop(self, decision):
        # As the agent's StopFile does: a temporary name, then an atomic rename.
        tmp = os.path.join(self.dir, ".STOP.tmp")
        with open(tmp, "w") as f:
            f.write(json.dumps(decision) + "\n")
        os.replace(tmp, os.path.join(self.dir, at.STOP_FILE))


class LogProgressTest(Base):
    def test_lines_read_back_as_the_agent_reads_them(self):
        at.log_progress(self.dir, 10, reward=0.25)
        at.log_progress(self.dir, 20, reward=0.5, eval_accuracy=0.75)
        at.log_progress(self.dir, 20, reward=0.625)  # a later line for the same step wins
        self.assertEqual(read_progress(self.dir, 10, "reward"), 0.25)
        self.assertEqual(read_progress(self.dir, 20, "reward"), 0.625)
        self.assertEqual(read_progress(self.dir, 20, "eval_accuracy"), 0.75)
        self.assertIsNone(read_progress(self.dir, 30, "reward"))
        with open(os.path.join(self.dir, at.PROGRESS_FILE)) as f:
            self.assertEqual(f.read().splitlines()[0], '{"step": 10, "reward": 0.25}')

    def test_values_that_are_not_finite_numbers_are_left_out_with_one_warning(self):
        class Scalar:  # a 0-d tensor or numpy scalar: float() takes it
            def __float__(self):
                return 0.5

        with self.assertLogs("alpharl", "WARNING") as logs:
            line = at.log_progress(self.dir, 3, reward=Scalar(), kl=float("nan"), note="x", loss=None, flag=True, max_steps=100)
            at.log_progress(self.dir, 4, kl=float("inf"))
        self.assertEqual(line, {"step": 3, "reward": 0.5, "max_steps": 100.0})
        self.assertEqual(len([m for m in logs.output if "kl=" in m]), 1)  # once per key, not per call
        self.assertIsNone(at.log_progress(self.dir, 5, loss=None))
        with open(os.path.join(self.dir, at.PROGRESS_FILE)) as f:
            self.assertEqual(len(f.read().splitlines()), 1)  # nothing written for steps 4 and 5

    def test_a_line_cut_short_by_a_crash_does_not_take_the_next_one_with_it(self):
        with open(os.path.join(self.dir, at.PROGRESS_FILE), "w") as f:
            f.write('{"step": 1, "reward": 0.5}\n{"step": 2, "rew')
        at.log_progress(self.dir, 3, reward=0.75)
        self.assertEqual(read_progress(self.dir, 1, "reward"), 0.5)
        self.assertEqual(read_progress(self.dir, 3, "reward"), 0.75)

    def test_only_rank_zero_writes_under_torch_distributed(self):
        with planted_distributed(types.SimpleNamespace(is_available=lambda: True, is_initialized=lambda: True, get_rank=lambda: 1)):
            self.assertIsNone(at.log_progress(self.dir, 1, reward=0.5))
        self.assertFalse(os.path.exists(os.path.join(self.dir, at.PROGRESS_FILE)))

    def test_a_folder_the_trainer_has_not_made_yet_is_made(self):
        # verl and OpenRLHF make their checkpoint folder at the first save: the lines before it were lost.
        later = os.path.join(self.dir, "checkpoints", "run")
        self.assertIsNotNone(at.log_progress(later, 1, reward=0.5))
        self.assertEqual(read_progress(later, 1, "reward"), 0.5)

    def test_a_directory_that_cannot_be_written_is_a_warning_not_an_exception(self):
        with open(os.path.join(self.dir, "a-file"), "w") as f:
            f.write("not a folder")
        unwritable = os.path.join(self.dir, "a-file", "such")
        with self.assertLogs("alpharl", "WARNING") as logs:
            self.assertIsNone(at.log_progress(unwritable, 1, reward=1.0))
            self.assertIsNone(at.log_progress(unwritable, 2, reward=1.0))
        self.assertEqual(len(logs.output), 1)
        self.assertIn("cannot append to", logs.output[0])


class ShouldStopTest(Base):
    def test_no_decision_without_a_stop_file_or_endpoint(self):
        self.assertIsNone(at.should_stop(self.dir))

    def test_the_agents_stop_file(self):
        self.write_stop(DECISION)
        self.assertEqual(at.should_stop(self.dir), DECISION)

    def test_a_stop_file_made_by_hand_stops_too(self):
        open(os.path.join(self.dir, at.STOP_FILE), "w").close()
        self.assertEqual(at.should_stop(self.dir), {"action": "early_stop", "reason": "STOP file present"})
        with open(os.path.join(self.dir, at.STOP_FILE), "w") as f:
            f.write("operator: out of budget\n")
        self.assertEqual(at.should_stop(self.dir)["reason"], "operator: out of budget")

    def test_a_decision_that_is_not_an_early_stop_is_none(self):
        self.write_stop(dict(DECISION, action="continue"))
        self.assertIsNone(at.should_stop(self.dir))

    def test_poll_endpoint_204_then_200(self):
        with ControlEndpoint(DECISION, no_decision_for=2) as agent:
            self.assertIsNone(at.should_stop(self.dir, agent.url))
            self.assertIsNone(at.should_stop(self.dir, agent.url))
            self.assertEqual(at.should_stop(self.dir, agent.url), DECISION)
            self.assertEqual(agent.requests, 3)

    def test_the_stop_file_is_read_before_the_endpoint_is_asked(self):
        self.write_stop(DECISION)
        with ControlEndpoint(DECISION) as agent:
            self.assertEqual(at.should_stop(self.dir, agent.url), DECISION)
            self.assertEqual(agent.requests, 0)

    def test_an_agent_that_is_down_is_no_decision_and_one_warning(self):
        url = free_port_url()
        with self.assertLogs("alpharl", "WARNING") as logs:
            self.assertIsNone(at.should_stop(self.dir, url))
            self.assertIsNone(at.should_stop(self.dir, url))
        self.assertEqual(len(logs.output), 1)
        self.assertIn("cannot reach " + url, logs.output[0])

    def test_other_answers_are_no_decision(self):
        with ControlEndpoint(DECISION, status=500) as agent, self.assertLogs("alpharl", "WARNING") as logs:
            self.assertIsNone(at.should_stop(self.dir, agent.url))
        self.assertIn("HTTP 500", logs.output[0])
        with ControlEndpoint("not an object") as agent, self.assertLogs("alpharl", "WARNING") as logs:
            self.assertIsNone(at.should_stop(self.dir, agent.url))
        self.assertIn("not a decision object", logs.output[0])

    def test_something_else_on_the_port_or_a_cut_reply_is_no_decision(self):
        import socket
        import threading
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen(1)

            def answer():
                conn, _ = server.accept()
                with conn:
                    conn.recv(1024)
                    conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

            t = threading.Thread(target=answer, daemon=True)
            t.start()
            url = "http://127.0.0.1:%d/control" % server.getsockname()[1]
            with self.assertLogs("alpharl", "WARNING") as logs:
                self.assertIsNone(at.should_stop(self.dir, url))
            t.join(5)
        self.assertIn("cannot reach", logs.output[0])

    def test_a_stop_file_in_another_encoding_still_stops(self):
        with open(os.path.join(self.dir, at.STOP_FILE), "wb") as f:
            f.write("arrêt: budget épuisé".encode("latin-1"))
        self.assertEqual(at.should_stop(self.dir)["action"], "early_stop")

    def test_a_slow_agent_times_out(self):
        # The agent answers with a decision only after 30 s: a None here means the timeout ended the request.
        with ControlEndpoint(DECISION, delay=30.0) as agent, self.assertLogs("alpharl", "WARNING") as logs:
            self.assertIsNone(at.should_stop(self.dir, agent.url, timeout=0.2))
        self.assertIn("timed out", logs.output[0])

    def test_a_proxy_set_for_downloads_is_not_asked(self):
        saved = {k: os.environ.get(k) for k in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY")}
        os.environ["http_proxy"] = os.environ["HTTP_PROXY"] = free_port_url().replace("/control", "")
        os.environ.pop("no_proxy", None)
        os.environ.pop("NO_PROXY", None)
        # urllib's default opener reads the proxy settings once, when first used: an earlier test's request would have
        # built it without the proxy, and a callback that used it would pass here while failing for a user.
        urllib.request.install_opener(None)
        try:
            with ControlEndpoint(DECISION) as agent:
                self.assertEqual(at.should_stop(self.dir, agent.url), DECISION)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            urllib.request.install_opener(None)


class CallbackTest(Base):
    @staticmethod
    def logs(step):
        return {"loss": 1.0 / step, "reward": step / 100.0, "learning_rate": 1e-6}

    def test_runs_to_the_end_without_a_decision_and_logs_progress(self):
        cb = at.AlphaRLCallback(progress_keys="reward")
        last, saved = drive(cb, self.dir, max_steps=20, logging_steps=5, save_steps=10, logs_at=self.logs)
        self.assertEqual((last, saved), (20, [10, 20]))
        self.assertIsNone(cb.decision)
        for step in (5, 10, 15, 20):
            self.assertEqual(read_progress(self.dir, step, "reward"), step / 100.0)
        self.assertIsNone(read_progress(self.dir, 5, "loss"))  # only the progress keys are written
        self.assertEqual(read_progress(self.dir, 20, "max_steps"), 20.0)

    def test_a_save_step_logs_afresh_so_each_checkpoint_has_its_own_value(self):
        # Carried from step 4, step 6's value was up to logging_steps - 1 steps old (for GRPO, the mean of an earlier window).
        cb = at.AlphaRLCallback(progress_keys=("reward",))
        drive(cb, self.dir, max_steps=12, logging_steps=4, save_steps=6, logs_at=self.logs)
        self.assertEqual(read_progress(self.dir, 6, "reward"), 0.06)
        self.assertIsNone(read_progress(self.dir, 6, "logged_step"))

    def test_a_trainer_that_does_not_log_on_request_gets_the_newest_value_carried(self):
        cb = at.AlphaRLCallback(progress_keys=("reward",))
        drive(cb, self.dir, max_steps=12, logging_steps=4, save_steps=6, logs_at=self.logs, ppo=True)
        self.assertEqual(read_progress(self.dir, 6, "reward"), 0.04)
        self.assertEqual(read_progress(self.dir, 6, "logged_step"), 4.0)
        self.assertEqual(read_progress(self.dir, 12, "reward"), 0.12)  # logged at 12 itself: no carried line
        self.assertIsNone(read_progress(self.dir, 12, "logged_step"))

    def test_with_two_keys_a_save_step_carries_the_one_it_did_not_log(self):
        def logs(step):
            return {"eval_accuracy": step / 50.0} if step % 5 == 0 else {"reward": step / 100.0}

        cb = at.AlphaRLCallback(progress_keys=("reward", "eval_accuracy"))
        drive(cb, self.dir, max_steps=15, logging_steps=3, save_steps=15, logs_at=logs, ppo=True)
        self.assertEqual(read_progress(self.dir, 15, "eval_accuracy"), 0.3)
        self.assertEqual(read_progress(self.dir, 15, "reward"), 0.12)  # logged at 12, carried to the checkpoint of 15
        self.assertEqual(read_progress(self.dir, 15, "logged_step"), 12.0)

    def test_a_progress_key_the_trainer_never_logs_is_said_with_the_keys_it_does(self):
        def logs(step):  # TRL's PPOTrainer: objective/rlhf_reward, no "reward"
            return {"objective/rlhf_reward": step / 10.0, "loss/policy_avg": 0.1}

        cb = at.AlphaRLCallback(progress_keys="reward")
        with self.assertLogs("alpharl", "WARNING") as out:
            drive(cb, self.dir, max_steps=10, logging_steps=2, save_steps=5, logs_at=logs)
        self.assertEqual(len(out.output), 1)
        self.assertIn("no reward logged", out.output[0])
        self.assertIn("objective/rlhf_reward", out.output[0])

    def test_a_trainer_that_ignores_the_stop_saves_once_and_is_told(self):
        # TRL's PPOTrainer loops to the end whatever control says: it must not save every step after the decision.
        cb = at.AlphaRLCallback()

        def agent(step):
            if step == 7:
                self.write_stop(DECISION)

        with self.assertLogs("alpharl", "WARNING") as out:
            last, saved = drive(cb, self.dir, max_steps=20, logging_steps=5, save_steps=10, logs_at=self.logs, on_step=agent, ppo=True)
        self.assertEqual((last, saved), (20, [7, 10, 20]))
        ignored = [m for m in out.output if "ignores control.should_training_stop" in m]
        self.assertEqual(len(ignored), 1)

    def test_an_epoch_end_save_logs_afresh_too(self):
        # save_strategy="epoch": DefaultFlowCallback sets should_save in on_epoch_end, after on_step_end asked for no log.
        from tests.support import Args, Control, State
        cb = at.AlphaRLCallback()
        args, state, control = Args(self.dir), State(100), Control()
        state.global_step = 6
        control = cb.on_step_end(args, state, control)
        self.assertFalse(control.should_log)
        control.should_save = True
        control = cb.on_epoch_end(args, state, control)
        self.assertTrue(control.should_log)

    def test_a_run_resumed_from_a_checkpoint_is_warned_of_a_stop_file_too(self):
        # train(resume_from_checkpoint=...) loads global_step before on_train_begin: the warning was for step 0 alone.
        from tests.support import Args, Control, State
        self.write_stop(DECISION)
        cb = at.AlphaRLCallback()
        state = State(100)
        state.global_step = 20
        with self.assertLogs("alpharl", "WARNING") as out:
            cb.on_train_begin(Args(self.dir), state, Control())
        self.assertTrue(any("before training began" in m for m in out.output))

    def test_a_callback_used_for_a_second_train_call_starts_afresh(self):
        cb = at.AlphaRLCallback()

        def agent(step):
            if step == 7:
                self.write_stop(DECISION)

        with self.assertLogs("alpharl", "WARNING"):
            last, _ = drive(cb, self.dir, max_steps=20, logging_steps=5, save_steps=10, logs_at=self.logs, on_step=agent)
        self.assertEqual(last, 7)
        os.remove(os.path.join(self.dir, at.STOP_FILE))
        last, saved = drive(cb, self.dir, max_steps=20, logging_steps=5, save_steps=10, logs_at=self.logs)
        self.assertEqual((last, saved), (20, [10, 20]))
        self.assertIsNone(cb.decision)

    def test_an_epoch_ending_after_the_stop_does_not_save_the_stop_step_again(self):
        # save_strategy="epoch": DefaultFlowCallback asks for a save at the epoch's end, which would write checkpoint-N over itself.
        from tests.support import Args, Control, State
        cb = at.AlphaRLCallback()
        args, state, control = Args(self.dir), State(100), Control()
        state.global_step = 7
        self.write_stop(DECISION)
        with self.assertLogs("alpharl", "WARNING"):
            control = cb.on_step_end(args, state, control)
        self.assertTrue(control.should_save and control.should_training_stop)
        cb.on_save(args, state, control)
        control.should_save = control.should_evaluate = True
        control = cb.on_epoch_end(args, state, control)
        self.assertFalse(control.should_save)
        self.assertFalse(control.should_evaluate)

    def test_a_stop_file_of_another_run_does_not_hide_the_endpoints_decision(self):
        self.write_stop(dict(DECISION, run_id="old-run"))
        with ControlEndpoint(dict(DECISION, run_id="r1")) as agent, self.assertLogs("alpharl", "WARNING"):
            self.assertEqual(at.should_stop(self.dir, agent.url, run_id="r1"), dict(DECISION, run_id="r1"))
        self.assertEqual(agent.requests, 1)

    def test_a_stop_file_of_another_run_is_not_this_runs(self):
        self.write_stop(dict(DECISION, run_id="old-run"))
        cb = at.AlphaRLCallback(run_id="new-run")
        with self.assertLogs("alpharl", "WARNING") as out:
            last, _ = drive(cb, self.dir, max_steps=10, logging_steps=5, save_steps=5, logs_at=self.logs)
        self.assertEqual(last, 10)
        self.assertTrue(any("before training began" in m for m in out.output))
        self.assertTrue(any("for run old-run, not this run (new-run)" in m for m in out.output))
        self.assertEqual(at.should_stop(self.dir, run_id="old-run"), dict(DECISION, run_id="old-run"))

    def test_stops_at_the_step_the_stop_file_appears_and_saves_it(self):
        cb = at.AlphaRLCallback()

        def agent(step):
            if step == 7:
                self.write_stop(DECISION)

        with self.assertLogs("alpharl", "WARNING") as logs:
            last, saved = drive(cb, self.dir, max_steps=100, logging_steps=5, save_steps=5, logs_at=self.logs, on_step=agent)
        self.assertEqual((last, saved), (7, [5, 7]))
        self.assertEqual(cb.decision, DECISION)
        self.assertIn("early stop after step 7: gate passed 3 times", logs.output[0])

    def test_stops_when_the_endpoint_decides_polling_at_most_every_interval(self):
        now = [0.0]
        with ControlEndpoint(DECISION, no_decision_for=3) as agent:
            cb = at.AlphaRLCallback(poll_url=agent.url, poll_interval=10.0, clock=lambda: now[0])

            def tick(step):
                now[0] = step * 4.0  # 4 s per step: a poll every third step

            with self.assertLogs("alpharl", "WARNING"):
                last, saved = drive(cb, self.dir, max_steps=100, logging_steps=5, save_steps=50, logs_at=self.logs, on_step=tick)
            # polls at steps 1 (t=4), 4 (t=16), 7 (t=28): 204 each; 10 (t=40): the decision
            self.assertEqual(agent.requests, 4)
        self.assertEqual((last, saved), (10, [10]))

    def test_an_agent_that_is_down_never_stops_or_breaks_training(self):
        cb = at.AlphaRLCallback(poll_url=free_port_url(), poll_interval=0.0)
        with self.assertLogs("alpharl", "WARNING") as logs:
            last, _ = drive(cb, self.dir, max_steps=30, logging_steps=5, save_steps=10, logs_at=self.logs)
        self.assertEqual(last, 30)
        self.assertEqual(len(logs.output), 1)

    def test_other_processes_write_no_progress(self):
        cb = at.AlphaRLCallback()
        drive(cb, self.dir, max_steps=10, logging_steps=5, save_steps=5, logs_at=self.logs, main=False)
        self.assertFalse(os.path.exists(os.path.join(self.dir, at.PROGRESS_FILE)))

    def test_under_torch_distributed_every_rank_takes_rank_zeros_decision(self):
        broadcasts = []

        def broadcast_object_list(box, src):
            broadcasts.append((list(box), src))
            box[0] = DECISION if len(broadcasts) >= 3 else None  # rank 0 decides at its third step

        dist = types.SimpleNamespace(is_available=lambda: True, is_initialized=lambda: True, get_world_size=lambda: 2,
                                     broadcast_object_list=broadcast_object_list)
        with planted_distributed(dist):
            cb = at.AlphaRLCallback()
            self.write_stop(dict(DECISION, reason="seen by rank 1 only"))  # a rank other than 0 never decides by itself
            # The stop is said by rank 0 alone: every rank said it, 8 lines on an 8-GPU run. (assertNoLogs is Python 3.10's.)
            with self.assertLogs("alpharl", "WARNING") as said:
                at.logger.warning("the test's own line")
                last, _ = drive(cb, self.dir, max_steps=10, logging_steps=5, save_steps=5, logs_at=self.logs, main=False)
            self.assertEqual(len(said.records), 1, said.output)
        self.assertEqual(last, 3)
        self.assertEqual(cb.decision, DECISION)
        self.assertEqual(broadcasts[0], ([None], 0))

    def test_answers_every_trainer_event(self):
        cb = at.AlphaRLCallback()
        self.assertIsNone(cb.on_some_event_added_later(None, None, None, model=None))
        with self.assertRaises(AttributeError):
            cb.not_an_event  # noqa: B018


@contextlib.contextmanager
def planted_distributed(stand_in):
    """torch.distributed replaced for the block, and whatever was there (the real module, in a process
    that imported torch) put back after it: deleted, it was gone for the tests after."""
    had = "torch.distributed" in sys.modules
    before = sys.modules.get("torch.distributed")
    sys.modules["torch.distributed"] = stand_in
    try:
        yield
    finally:
        if had:
            sys.modules["torch.distributed"] = before
        else:
            del sys.modules["torch.distributed"]


if __name__ == "__main__":
    unittest.main()

"""Tests of reading `alpharl predict`'s summary line and of the policies scored."""
import unittest

from accuracy import predict

FAILING = ("predicted model of add2-grpo-seed1 from 16 window checkpoints (steps 5..80, policy auto, target step 200): 1 of 14 modules"
           " predicted, backtest error 0.503 (stopping: 0.510), gate failing (backtest error 0.503 (norm-weighted, chosen predictors) above"
           " 0.300; the prediction reaches 2.50x the window end, the backtest tested 1.10x (allowed up to 2.00x that: 2.20x)); 0.2 MB written"
           " in 287 ms to /tmp/acc-test1")
PASSING = ("predicted model of r from 12 window checkpoints (steps 10..120, policy fixed:whole-scale:axis=step, target step 300): 36 of 36"
           " modules predicted, backtest error 0.120 (stopping: 0.650), gate passing; 45.1 MB written in 1719 ms to /tmp/x (y)")


class PredictLineTest(unittest.TestCase):
    def test_a_failing_gate_keeps_its_whole_reason_with_parentheses_and_semicolons(self):
        info = predict.parse_line("some log line\n" + FAILING + "\n")
        self.assertEqual(info["gate"], "failing")
        self.assertEqual(info["gate_reason"], "backtest error 0.503 (norm-weighted, chosen predictors) above 0.300; the prediction reaches"
                         " 2.50x the window end, the backtest tested 1.10x (allowed up to 2.00x that: 2.20x)")
        self.assertEqual((info["modules_predicted"], info["modules"], info["window_points"], info["window_first_step"]), (1, 14, 16, 5))
        self.assertEqual((info["backtest_error"], info["stop_backtest_error"]), (0.503, 0.510))

    def test_a_passing_gate_has_no_reason(self):
        info = predict.parse_line(PASSING)
        self.assertEqual((info["gate"], info["gate_reason"], info["modules_predicted"]), ("passing", "", 36))

    def test_output_without_the_line_is_an_error(self):
        with self.assertRaises(ValueError):
            predict.parse_line("predicted nothing\n")

    def test_the_reference_predictor_is_scored_only_with_a_target(self):
        labels = [p[0] for p in predict.policies(None)]
        self.assertNotIn("fixed:alpharl-reference:target=oracle", labels)
        with_target = predict.policies(0.65)
        self.assertIn(("fixed:alpharl-reference:target=oracle", "fixed:alpharl-reference:target=0.65", "fixed"), with_target)
        self.assertEqual(with_target[-1][0], "auto")


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/env python3
"""Checks of the hand-written pieces, with independent references where one exists.

    cd examples/trainer-minilm && /usr/bin/python3 -m unittest -v test_trainer_minilm

The tokenizer and model tests need the fetched model (fetch_model.sh); without it they skip
and say so. The task tests need nothing.
"""
import json
import math
import os
import tempfile
import unittest

import numpy as np
import torch

import minilm
import rl

HERE = os.path.dirname(os.path.abspath(__file__))
ONNX = os.path.join(HERE, "model", "all-minilm-l6-v2.onnx")
TOKENIZER = os.path.join(HERE, "model", "all-minilm-l6-v2-tokenizer.json")
NEED_MODEL = unittest.skipUnless(os.path.exists(ONNX) and os.path.exists(TOKENIZER),
                                 "model not fetched: run fetch_model.sh")


@NEED_MODEL
class TokenizerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tok = minilm.WordPiece(TOKENIZER)
        cls.inv = {i: w for w, i in cls.tok.vocab.items()}

    def pieces(self, text):
        return [self.inv[i] for i in self.tok.encode(text)][1:-1]

    def test_known_bert_uncased_ids(self):
        # bert-base-uncased ids, published with the BERT vocabulary
        self.assertEqual(self.tok.encode("hello world"), [101, 7592, 2088, 102])

    def test_punctuation_is_split_and_accents_stripped(self):
        self.assertEqual(self.pieces("Naïve, CAFÉ!"), ["naive", ",", "cafe", "!"])

    def test_subwords_use_the_continuation_prefix(self):
        self.assertEqual(self.pieces("12345"), ["123", "##45"])

    def test_unsplittable_and_overlong_words_become_one_unk(self):
        self.assertEqual(self.pieces("\u2603\u2603"), ["[UNK]"])
        self.assertEqual(self.pieces("a" * 101), ["[UNK]"])

    def test_batch_pads_right_and_masks_padding(self):
        ids, mask = self.tok.batch(["a", "a b c"])
        self.assertEqual(ids.shape, (2, 5))
        self.assertEqual(mask.tolist(), [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
        self.assertEqual(ids[0, 3:].tolist(), [0, 0])


@NEED_MODEL
class ModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = minilm.import_onnx(ONNX)
        cls.tok = minilm.WordPiece(TOKENIZER)

    def test_torch_forward_matches_the_onnx_graph(self):
        ids, mask = self.tok.batch(minilm.CHECK_SENTENCES)
        ref = minilm.run_onnx_numpy(ONNX, {"input_ids": ids.numpy(), "attention_mask": mask.numpy(),
                                           "token_type_ids": np.zeros_like(ids.numpy())})[0]
        with torch.no_grad():
            mine = self.model(ids, mask).numpy()
        valid = mask.numpy().astype(bool)
        self.assertLess(float(np.abs(mine - ref)[valid].max()), 1e-4)

    def test_padding_does_not_change_a_sentence_embedding(self):
        with torch.no_grad():
            alone = self.model.embed(*self.tok.batch(["a"]))
            padded = self.model.embed(*self.tok.batch(["a", "a much longer sentence than the first"]))[:1]
        self.assertLess(float((alone - padded).abs().max()), 1e-5)

    def test_model_directory_round_trips_in_bf16(self):
        with tempfile.TemporaryDirectory() as d:
            minilm.save_model_dir(self.model, d, TOKENIZER, dtype=torch.bfloat16)
            loaded, _ = minilm.load_model_dir(d)
            self.assertEqual(minilm.read_json(os.path.join(d, "config.json"))["torch_dtype"], "bfloat16")
        for (name, a), (_, b) in zip(self.model.state_dict().items(), loaded.state_dict().items()):
            self.assertTrue(torch.equal(a.to(torch.bfloat16).float(), b), name)


@NEED_MODEL
class TrainTest(unittest.TestCase):
    def test_a_short_run_has_the_hugging_face_trainer_layout(self):
        with tempfile.TemporaryDirectory() as d:
            base, out = os.path.join(d, "base"), os.path.join(d, "run")
            minilm.save_model_dir(minilm.import_onnx(ONNX), base, TOKENIZER)
            args = rl.parser().parse_args(["train", "--base", base, "--out", out, "--steps", "3", "--save-every",
                                           "2", "--prompts", "4", "--lr", "1e-4"])
            self.assertEqual(rl.cmd_train(args), 0)
            self.assertEqual(sorted(x for x in os.listdir(out) if x.startswith("checkpoint-")),
                             ["checkpoint-0", "checkpoint-2", "checkpoint-3"])
            state = minilm.read_json(os.path.join(out, "checkpoint-3", "trainer_state.json"))
            self.assertEqual(state["max_steps"], 3)
            self.assertEqual([e["step"] for e in state["log_history"]], [0, 2, 3])
            for e in state["log_history"][1:]:
                self.assertTrue(0 <= e["reward"] <= 1 and 0 <= e["eval_accuracy"] <= 1)
                self.assertTrue(0 < e["unchanged_bf16_per_step"] < 1)
            with open(os.path.join(out, "progress.jsonl")) as f:
                self.assertEqual([json.loads(line)["step"] for line in f], [0, 2, 3])
            with open(os.path.join(out, "checkpoint-2", "model.safetensors"), "rb") as f:
                header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
            self.assertEqual({v["dtype"] for k, v in header.items() if k != "__metadata__"}, {"BF16"})
            # checkpoint-0 is the base rounded to bf16, bit for bit
            w0 = minilm.load_model_dir(os.path.join(out, "checkpoint-0"))[0].state_dict()
            for name, t in minilm.load_model_dir(base)[0].state_dict().items():
                self.assertTrue(torch.equal(w0[name], t.to(torch.bfloat16).float()), name)
            with self.assertRaisesRegex(ValueError, "not empty"):
                rl.cmd_train(args)


class TaskTest(unittest.TestCase):
    def test_training_and_held_out_pairs_partition_all_pairs(self):
        train, held = rl.split_pairs()
        n = rl.MAX_OPERAND + 1
        self.assertEqual(len(set(train) | set(held)), n * (n + 1) // 2)
        self.assertFalse(set(train) & set(held))

    def test_training_never_asks_a_held_out_question(self):
        held = {tuple(sorted(p)) for p in rl.split_pairs()[1]}
        eval_prompts = {it.prompt for it in rl.eval_set(8)}
        items = rl.TrainSampler(8, seed=5).batch(5000)
        self.assertFalse(eval_prompts & {it.prompt for it in items})
        for it in items:
            a, b = (int(x) for x in it.prompt[len("what is "):-1].split(" plus "))
            self.assertNotIn(tuple(sorted((a, b))), held)

    def test_items_have_k_distinct_candidates_and_the_sum_among_them(self):
        for it in rl.eval_set(8):
            a, b = (int(x) for x in it.prompt[len("what is "):-1].split(" plus "))
            self.assertEqual(len(set(it.candidates)), 8)
            self.assertEqual(it.candidates[it.answer], str(a + b))

    def test_eval_set_is_fixed_and_large_enough(self):
        first, second = rl.eval_set(8), rl.eval_set(8)
        self.assertGreaterEqual(len(first), 1000)
        self.assertEqual([(i.prompt, i.candidates) for i in first], [(i.prompt, i.candidates) for i in second])

    def test_bootstrap_interval_matches_the_normal_approximation(self):
        values = [1.0] * 300 + [0.0] * 700
        lo, hi = rl.bootstrap_ci(values)
        half = 1.96 * math.sqrt(0.3 * 0.7 / 1000)  # closed form for a proportion
        self.assertLess(abs((hi - lo) / 2 - half) / half, 0.15)
        self.assertLess(lo, 0.3)
        self.assertGreater(hi, 0.3)

    def test_unchanged_share_counts_equal_bf16_bit_patterns(self):
        before = [torch.tensor([1, 2, 3, 4], dtype=torch.int16)]
        after = [torch.tensor([1, 2, 0, 4], dtype=torch.int16)]
        self.assertEqual(rl.unchanged_share(before, after), 0.75)


if __name__ == "__main__":
    unittest.main()
